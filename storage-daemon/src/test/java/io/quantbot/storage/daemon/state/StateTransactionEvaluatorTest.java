package io.quantbot.storage.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StateTransactionEvaluatorTest {
    private static final StateKey A = new StateKey("ns", "a");
    private static final StateKey B = new StateKey("ns", "b");

    private final Map<StateKey, StateEntry> committed = new HashMap<>();
    private final AtomicLong versions = new AtomicLong(100);
    private final StateTransactionEvaluator.View view = new StateTransactionEvaluator.View() {
        @Override
        public Optional<StateEntry> lookup(StateKey key) {
            return Optional.ofNullable(committed.get(key));
        }

        @Override
        public long liveBytes() {
            return committed.values().stream().mapToLong(entry -> entry.value().size()).sum();
        }
    };

    private StateTransactionEvaluator.Evaluation evaluate(long now, long quota, StateOperation... operations) {
        return StateTransactionEvaluator.evaluate(List.of(operations), view, now, versions::incrementAndGet, quota);
    }

    @Test
    void putAllocatesNewVersionsAndKeepsCreationTime() {
        committed.put(A, new StateEntry(A, new StateValue.Json("1"), 7, 1_000, 1_000, 0));
        var evaluation = evaluate(5_000, Long.MAX_VALUE, new StateOperation.Put(A, new StateValue.Json("22"), 10_000, OptionalLong.of(7)));
        StateMutation.Upsert upsert = (StateMutation.Upsert) evaluation.mutations().get(0);
        assertThat(upsert.entry().version()).isEqualTo(101);
        assertThat(upsert.entry().createdAtMs()).isEqualTo(1_000);
        assertThat(upsert.entry().updatedAtMs()).isEqualTo(5_000);
        assertThat(upsert.entry().expiresAtMs()).isEqualTo(15_000);
        assertThat(evaluation.bytesDelta()).isEqualTo(1);
    }

    @Test
    void laterOperationsSeeEarlierOnes() {
        var evaluation = evaluate(1, Long.MAX_VALUE,
                new StateOperation.Put(A, new StateValue.Json("1"), 0, OptionalLong.of(0)),
                new StateOperation.Get(A),
                new StateOperation.Check(A, 101),
                new StateOperation.Remove(A, OptionalLong.of(101)),
                new StateOperation.Get(A),
                new StateOperation.Check(A, 0));
        assertThat(((StateOperationResult.Got) evaluation.results().get(1)).entry()).isPresent();
        assertThat(((StateOperationResult.Removed) evaluation.results().get(3)).deleted()).isTrue();
        assertThat(((StateOperationResult.Got) evaluation.results().get(4)).entry()).isEmpty();
        assertThat(evaluation.mutations()).hasSize(2);
    }

    @Test
    void aFailedCheckNamesTheOperationAndReturnsNothingToPersist() {
        committed.put(B, new StateEntry(B, new StateValue.Json("1"), 3, 0, 0, 0));
        assertThatThrownBy(() -> evaluate(1, Long.MAX_VALUE,
                        new StateOperation.Put(A, new StateValue.Json("1"), 0, OptionalLong.empty()),
                        new StateOperation.Check(B, 4)))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.VERSION_CONFLICT);
                    assertThat(e.metadata()).containsEntry("op_index", "1").containsEntry("actual_version", "3");
                    assertThat(e.getMessage()).contains("expected version 4, but it has version 3");
                });
    }

    @Test
    void expiredEntriesAreAbsent() {
        committed.put(A, new StateEntry(A, new StateValue.Json("1"), 3, 0, 0, 10));
        var evaluation = evaluate(10, Long.MAX_VALUE, new StateOperation.Get(A), new StateOperation.Put(A, new StateValue.Json("2"), 0, OptionalLong.of(0)));
        assertThat(((StateOperationResult.Got) evaluation.results().get(0)).entry()).isEmpty();
        assertThat(evaluation.mutations()).hasSize(1);
    }

    @Test
    void quotaIsEnforcedOnGrowthOnly() {
        committed.put(A, new StateEntry(A, new StateValue.Json("12345"), 3, 0, 0, 0));
        assertThatThrownBy(() -> evaluate(1, 8, new StateOperation.Put(B, new StateValue.Json("1234"), 0, OptionalLong.empty())))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
        // Shrinking is always allowed, even above the quota.
        assertThat(evaluate(1, 2, new StateOperation.Put(A, new StateValue.Json("1"), 0, OptionalLong.empty())).bytesDelta()).isEqualTo(-4);
    }
}
