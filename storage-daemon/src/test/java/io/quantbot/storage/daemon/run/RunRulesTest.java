package io.quantbot.storage.daemon.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.BitSet;
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

    @Test
    void aDuplicateMustBeTheCommittedChunkUnlessNoDigestWasKept() {
        RunRecord run = run(RunStatus.RUNNING, 3);
        RowBatch rows = RowBatch.of(2, List.of(new RowColumn.Longs("lag_ms", new long[] {1, 2}, new BitSet())));
        RunRules.ChunkDigest committed = RunRules.ChunkDigest.of(rows);
        RunRules.verifyDuplicate(run, 2, Optional.of(committed), RunRules.ChunkDigest.of(rows));
        RunRules.verifyDuplicate(run, 2, Optional.empty(), new RunRules.ChunkDigest(5, 42));
        RowBatch other = RowBatch.of(2, List.of(new RowColumn.Longs("lag_ms", new long[] {1, 3}, new BitSet())));
        assertThatThrownBy(() -> RunRules.verifyDuplicate(run, 2, Optional.of(committed), RunRules.ChunkDigest.of(other)))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHUNK_CONFLICT);
                    assertThat(e.getMessage()).contains("chunk 2 of run run_1", "was not stored");
                });
    }

    @Test
    void theDigestIsOfWhatIsStoredNotOfHowItWasSent() {
        BitSet none = new BitSet();
        BitSet first = new BitSet();
        first.set(0);
        RowBatch a = RowBatch.of(2, List.of(new RowColumn.Strings("call_id", new String[] {"c1", "c2"}),
                new RowColumn.Doubles("net_return", new double[] {0.5, -0.25}, none)));
        RowBatch reordered = RowBatch.of(2, List.of(new RowColumn.Doubles("net_return", new double[] {0.5, -0.25}, none),
                new RowColumn.Strings("call_id", new String[] {"c1", "c2"}), new RowColumn.Strings("skip_reason", new String[] {null, null})));
        assertThat(reordered.digest()).as("column order and an all-NULL column do not matter").isEqualTo(a.digest());
        List<RowBatch> different = List.of(
                RowBatch.of(2, List.of(new RowColumn.Strings("call_id", new String[] {"c2", "c1"}), new RowColumn.Doubles("net_return", new double[] {0.5, -0.25}, none))),
                RowBatch.of(2, List.of(new RowColumn.Strings("call_id", new String[] {"c1", "c2"}), new RowColumn.Doubles("net_return", new double[] {0.5, -0.25}, first))),
                RowBatch.of(2, List.of(new RowColumn.Strings("call_id", new String[] {"c1", "c2"}), new RowColumn.Doubles("gross_return", new double[] {0.5, -0.25}, none))),
                RowBatch.of(2, List.of(new RowColumn.Strings("call_id", new String[] {"c1", "c2"}), new RowColumn.Doubles("net_return", new double[] {0.5, -0.2500001}, none))),
                RowBatch.of(1, List.of(new RowColumn.Strings("call_id", new String[] {"c1"}), new RowColumn.Doubles("net_return", new double[] {0.5}, none))));
        assertThat(different).hasSize(5).allSatisfy(batch -> assertThat(batch.digest()).isNotEqualTo(a.digest()));
        assertThat(different.stream().map(RowBatch::digest).distinct()).hasSize(5);
    }
}
