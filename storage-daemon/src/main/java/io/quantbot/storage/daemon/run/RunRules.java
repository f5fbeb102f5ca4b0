package io.quantbot.storage.daemon.run;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.Optional;

/**
 * The rules of a run's life, as pure decisions over what the ledger holds, so every engine applies the same ones
 * (it stores; these decide): chunks are applied in order exactly once, only to a running run; a run finishes once,
 * and a retried finish with the same status is answered with the finished run.
 */
public final class RunRules {
    private RunRules() {}

    /** What to do with an incoming chunk. */
    public enum ChunkDecision {
        /** At or below the committed sequence: already applied; change nothing, answer with the totals. */
        DUPLICATE,
        /** The next chunk: apply it. */
        APPLY
    }

    /** What to do with a FinishRun. */
    public enum FinishDecision {
        /** The run is already finished with the requested status (a retry): answer with it, change nothing. */
        ALREADY_FINISHED,
        /** Finish it now. */
        FINISH
    }

    /**
     * @param committedChunkSeq the run's last committed chunk, counting chunks committed earlier in the same batch
     * @throws StorageException RUN_NOT_OPEN when the run no longer takes rows, CHUNK_OUT_OF_ORDER on a gap
     */
    public static ChunkDecision decideChunk(RunRecord run, long committedChunkSeq, long chunkSeq) {
        if (chunkSeq <= committedChunkSeq) {
            return ChunkDecision.DUPLICATE;
        }
        if (run.status() != RunStatus.RUNNING) {
            throw StorageException.builder(ErrorCode.RUN_NOT_OPEN, "run " + run.runId() + " is " + run.status().dbValue()
                            + "; rows can only be appended to a running run")
                    .metadata("run_id", run.runId()).metadata("status", run.status().dbValue()).build();
        }
        if (chunkSeq != committedChunkSeq + 1) {
            throw StorageException.builder(ErrorCode.CHUNK_OUT_OF_ORDER, "chunk " + chunkSeq + " of run " + run.runId() + " arrived after chunk "
                            + committedChunkSeq + "; send chunks in order (1, 2, 3, ...), resuming from committed_chunk_seq + 1")
                    .metadata("run_id", run.runId()).metadata("committed_chunk_seq", committedChunkSeq).metadata("chunk_seq", chunkSeq).build();
        }
        return ChunkDecision.APPLY;
    }

    /** What a committed chunk stored, to compare a re-sent one with: its rows and {@link RowBatch#digest}. */
    public record ChunkDigest(long rowCount, long digest) {
        public static ChunkDigest of(RowBatch rows) {
            return new ChunkDigest(rows.rowCount(), rows.digest());
        }
    }

    /**
     * A re-sent chunk (DUPLICATE) must be the chunk that was committed under its sequence number: a retry changes
     * nothing, a different chunk under a used number is refused so the client learns its rows were not stored.
     * Chunks committed before digests were kept (schema version 2) have none and are taken as retries.
     *
     * @throws StorageException CHUNK_CONFLICT when the rows differ from the committed chunk's
     */
    public static void verifyDuplicate(RunRecord run, long chunkSeq, Optional<ChunkDigest> committed, ChunkDigest resent) {
        if (committed.isEmpty() || committed.get().equals(resent)) {
            return;
        }
        throw StorageException.builder(ErrorCode.CHUNK_CONFLICT, "chunk " + chunkSeq + " of run " + run.runId() + " was already committed with "
                        + committed.get().rowCount() + " different rows; this one (" + resent.rowCount() + " rows) was not stored. A retry"
                        + " must resend the same rows; new rows take the next sequence number")
                .metadata("run_id", run.runId()).metadata("chunk_seq", chunkSeq).build();
    }

    /** @throws StorageException RUN_NOT_OPEN when the run already finished with another status */
    public static FinishDecision decideFinish(RunRecord run, RunStatus requested) {
        if (!run.status().isTerminal()) {
            return FinishDecision.FINISH;
        }
        if (run.status() == requested) {
            return FinishDecision.ALREADY_FINISHED;
        }
        throw StorageException.builder(ErrorCode.RUN_NOT_OPEN, "run " + run.runId() + " already finished as " + run.status().dbValue())
                .metadata("run_id", run.runId()).metadata("status", run.status().dbValue()).build();
    }
}
