package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * The semantics of every state write, as a pure function: evaluates operations in order against a
 * view of the committed state (plus what earlier operations of the same call did), checks versions,
 * allocates new versions and returns the results and the mutations to persist. All or nothing: a
 * failed check throws VERSION_CONFLICT and nothing is returned to persist.
 */
public final class StateTransactionEvaluator {

    /** The state as the evaluation starts; expired entries may be returned and are treated as absent. */
    public interface View {
        Optional<StateEntry> lookup(StateKey key);

        long liveBytes();
    }

    public record Evaluation(List<StateOperationResult> results, List<StateMutation> mutations, long bytesDelta) {
        public Evaluation {
            results = List.copyOf(results);
            mutations = List.copyOf(mutations);
        }
    }

    private StateTransactionEvaluator() {}

    public static Evaluation evaluate(List<StateOperation> operations, View view, long nowMs, LongSupplier versions, long maxTotalBytes) {
        requireNonNull(operations, "operations is null");
        requireNonNull(view, "view is null");
        requireNonNull(versions, "versions is null");
        Map<StateKey, Optional<StateEntry>> local = new HashMap<>();
        List<StateOperationResult> results = new ArrayList<>(operations.size());
        List<StateMutation> mutations = new ArrayList<>();
        long bytesDelta = 0;
        for (int index = 0; index < operations.size(); index++) {
            StateOperation operation = operations.get(index);
            Optional<StateEntry> current = local.containsKey(operation.key())
                    ? local.get(operation.key())
                    : view.lookup(operation.key()).filter(entry -> !entry.isExpiredAt(nowMs));
            if (operation instanceof StateOperation.Get) {
                results.add(new StateOperationResult.Got(operation.key(), current));
            } else if (operation instanceof StateOperation.Put put) {
                checkExpected(index, put.key(), put.expectedVersion(), current);
                long version = versions.getAsLong();
                long expiresAt = put.ttlMs() > 0 ? nowMs + put.ttlMs() : 0;
                long createdAt = current.map(StateEntry::createdAtMs).orElse(nowMs);
                StateEntry entry = new StateEntry(put.key(), put.value(), version, createdAt, nowMs, expiresAt);
                bytesDelta += put.value().size() - current.map(existing -> existing.value().size()).orElse(0L);
                local.put(put.key(), Optional.of(entry));
                mutations.add(new StateMutation.Upsert(entry));
                results.add(new StateOperationResult.Put(version, expiresAt));
            } else if (operation instanceof StateOperation.Remove remove) {
                checkExpected(index, remove.key(), remove.expectedVersion(), current);
                if (current.isPresent()) {
                    long version = versions.getAsLong();
                    bytesDelta -= current.get().value().size();
                    local.put(remove.key(), Optional.empty());
                    mutations.add(new StateMutation.Tombstone(remove.key(), version, nowMs));
                    results.add(new StateOperationResult.Removed(true, current.get().version()));
                } else {
                    results.add(new StateOperationResult.Removed(false, 0));
                }
            } else if (operation instanceof StateOperation.Check check) {
                checkExpected(index, check.key(), OptionalLong.of(check.version()), current);
                results.add(new StateOperationResult.Checked(check.version()));
            } else {
                throw new IllegalArgumentException("unknown state operation " + operation);
            }
        }
        if (bytesDelta > 0 && view.liveBytes() + bytesDelta > maxTotalBytes) {
            throw StorageException.builder(ErrorCode.QUOTA_EXCEEDED, "the state store is full: " + view.liveBytes() + " bytes live, this write adds "
                            + bytesDelta + ", the quota (state.max-total-bytes) is " + maxTotalBytes + "; delete keys or raise the quota")
                    .metadata("live_bytes", view.liveBytes())
                    .metadata("quota_bytes", maxTotalBytes)
                    .build();
        }
        return new Evaluation(results, mutations, bytesDelta);
    }

    static void checkExpected(int index, StateKey key, OptionalLong expected, Optional<StateEntry> current) {
        if (expected.isEmpty()) {
            return;
        }
        long want = expected.getAsLong();
        long actual = current.map(StateEntry::version).orElse(0L);
        if (want == actual) {
            return;
        }
        String message;
        if (want == 0) {
            message = "version conflict on " + key + ": expected the key not to exist, but it has version " + actual;
        } else if (actual == 0) {
            message = "version conflict on " + key + ": expected version " + want + ", but the key does not exist";
        } else {
            message = "version conflict on " + key + ": expected version " + want + ", but it has version " + actual;
        }
        throw StorageException.builder(ErrorCode.VERSION_CONFLICT, message)
                .metadata("op_index", index)
                .metadata("namespace", key.namespace())
                .metadata("key", key.key())
                .metadata("expected_version", want)
                .metadata("actual_version", actual)
                .build();
    }
}
