package io.quantbot.storage.daemon.batch;

import java.util.concurrent.CompletableFuture;

/**
 * The coarse batch operations of the ArtifactPort: loading snapshots, bulk publishing, read-only SQL,
 * leaderboards, features and reports. They run outside the daemon's JVM (in the storage layer's
 * worker pool), exchange files rather than locks, and write their outputs into the staging folder;
 * registering those outputs in the catalog is the caller's job.
 *
 * <p>Every method returns at once. The future fails with a
 * {@link io.quantbot.storage.daemon.error.StorageException} whose code says what went wrong:
 * INVALID_ARGUMENT, INVALID_SQL, INVALID_INPUT_DATA (with one field violation per bad cell,
 * field = {@code file:row:column}), PATH_NOT_ALLOWED, REQUEST_TOO_LARGE, QUEUE_FULL (with a retry
 * hint), DEADLINE_EXCEEDED, CANCELLED, WORKER_UNAVAILABLE (the pool is disabled, shutting down or a
 * worker died during the call), SHUTTING_DOWN or WORKER_FAILED. Nothing is thrown directly.
 */
public interface BatchEngine {
    /** Validates a folder of candle and call files and writes ohlcv_slice and alerts artifacts (none on dry run). */
    CompletableFuture<ImportSnapshotResult> importSnapshot(ImportSnapshotCommand command, BatchCallOptions options);

    /** One CSV, Parquet or Arrow IPC file becomes one artifact of the given type. */
    CompletableFuture<ProducedArtifact> publishArtifact(PublishArtifactCommand command, BatchCallOptions options);

    /** Exactly one read-only SELECT over named views of Parquet files. */
    CompletableFuture<QueryResult> query(QueryCommand command, BatchCallOptions options);

    /** Leaderboards of net return over a sweep's sealed run_results files. */
    CompletableFuture<AnalyzeSweepResult> analyzeSweep(AnalyzeSweepCommand command, BatchCallOptions options);

    /** Per-token features from ohlcv_slice files, as a new features artifact. */
    CompletableFuture<ProducedArtifact> generateFeatures(GenerateFeaturesCommand command, BatchCallOptions options);

    /** A self-contained HTML report of a sweep, as a report artifact. */
    CompletableFuture<ProducedArtifact> generateReport(GenerateReportCommand command, BatchCallOptions options);
}
