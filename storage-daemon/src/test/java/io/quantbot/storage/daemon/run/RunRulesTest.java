package io.quantbot.storage.daemon.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The run rules every engine applies, decided without any storage. */
class RunRulesTest {
    private static RunRecord run(RunStatus status, long committed) {
        return new RunRecord("run_1", "sw", "sc", status, "{}", List.of(), Map.of(), Optional.empty(), 1, status.isTerminal() ? 2 : 0,
                Map.of(), "", SealMode.RUN, Optional.empty(), committed * 10, committed);
    }

    @Test
    void chunksApplyInOrderAndRepeatsChangeNothing() {
        assertThat(RunRules.decideChunk(run(RunStatus.RUNNING, 0), 0, 1)).isEqualTo(RunRules.ChunkDecision.APPLY);
        assertThat(RunRules.decideChunk(run(RunStatus.RUNNING, 3), 3, 4)).isEqualTo(RunRules.ChunkDecision.APPLY);
        assertThat(RunRules.decideChunk(run(RunStatus.RUNNING, 3), 3, 3)).isEqualTo(RunRules.ChunkDecision.DUPLICATE);
        assertThat(RunRules.decideChunk(run(RunStatus.RUNNING, 3), 3, 1)).isEqualTo(RunRules.ChunkDecision.DUPLICATE);
        // The committed sequence of the batch in flight counts, not only the stored one.
        assertThat(RunRules.decideChunk(run(RunStatus.RUNNING, 3), 5, 5)).isEqualTo(RunRules.ChunkDecision.DUPLICATE);
        assertThat(RunRules.decideChunk(run(RunStatus.RUNNING, 3), 5, 6)).isEqualTo(RunRules.ChunkDecision.APPLY);
    }

    @Test
    void aGapIsRefusedNamingWhereToResume() {
        assertThatThrownBy(() -> RunRules.decideChunk(run(RunStatus.RUNNING, 3), 3, 5))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHUNK_OUT_OF_ORDER);
                    assertThat(e.getMessage()).contains("chunk 5", "after chunk 3", "committed_chunk_seq + 1");
                });
    }

    @Test
    void aFinishedRunTakesNoNewRowsButAnswersRepeats() {
        for (RunStatus finished : List.of(RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)) {
            assertThatThrownBy(() -> RunRules.decideChunk(run(finished, 2), 2, 3))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RUN_NOT_OPEN));
            // A chunk committed before the finish, re-sent by a client that lost the answer, is still a duplicate.
            assertThat(RunRules.decideChunk(run(finished, 2), 2, 2)).isEqualTo(RunRules.ChunkDecision.DUPLICATE);
        }
    }

    @Test
    void aRunFinishesOnceAndARetryWithTheSameStatusIsAnswered() {
        assertThat(RunRules.decideFinish(run(RunStatus.RUNNING, 1), RunStatus.SUCCEEDED)).isEqualTo(RunRules.FinishDecision.FINISH);
        assertThat(RunRules.decideFinish(run(RunStatus.SUCCEEDED, 1), RunStatus.SUCCEEDED)).isEqualTo(RunRules.FinishDecision.ALREADY_FINISHED);
        assertThatThrownBy(() -> RunRules.decideFinish(run(RunStatus.SUCCEEDED, 1), RunStatus.FAILED))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.RUN_NOT_OPEN);
                    assertThat(e.getMessage()).contains("already finished as succeeded");
                });
    }
}
