package io.quantbot.storage.daemon.run;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** The persistence port of runs: the ledger of runs and their hot result rows, sealed into run_results artifacts. */
public interface RunLedger {
    /** Creates a run, or returns the run created earlier with the same idempotency key (created = false). */
    CompletableFuture<Created> create(NewRun run);

    Optional<RunRecord> get(String runId);

    /** Runs of a sweep (all sweeps if empty) in creation order, after the given run id (empty = from the start). */
    List<RunRecord> list(Optional<String> sweepId, Optional<RunStatus> status, String afterRunId, int limit);

    /**
     * Appends one chunk after the run's committed chunks. A chunk at or below the committed sequence
     * is a duplicate and changes nothing; a gap fails with CHUNK_OUT_OF_ORDER. If abandoned() is true
     * by the time the writer gets to the chunk (the client cancelled), it is not applied.
     */
    CompletableFuture<ChunkOutcome> appendChunk(String runId, long chunkSeq, RowBatch rows, BooleanSupplier abandoned);

    /** Finishes a run and seals its rows as the seal mode says; completes after the seal. */
    CompletableFuture<RunRecord> finish(String runId, RunStatus status, Map<String, Double> summary, String errorMessage, SealMode sealMode);

    record NewRun(String sweepId, String scenarioId, String paramsJson, List<String> inputIds, Map<String, String> tags,
            Optional<String> idempotencyKey) {
        public NewRun {
            inputIds = List.copyOf(inputIds);
            tags = Map.copyOf(tags);
        }
    }

    record Created(RunRecord run, boolean created) {}

    /** What a chunk did: applied (rows added) or a duplicate; and the run's totals after it. */
    record ChunkOutcome(boolean duplicate, long rowsAdded, long committedChunkSeq, long runRowCount) {}
}
