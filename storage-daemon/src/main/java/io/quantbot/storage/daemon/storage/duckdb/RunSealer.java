package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.LakeFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.artifact.Provenance;
import io.quantbot.storage.daemon.artifact.StagedArtifact;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.RunsConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.info.DaemonInfoService;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.SealPlan;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Seals finished runs: their committed rows are copied (through a read connection, in hash order) into a
 * Parquet file in staging, fsynced, hashed, and registered as a run_results artifact with lineage to the
 * runs' inputs. The rows leave the hot table only after the artifact is registered, so a crash in
 * between loses nothing: the seal runs again at start and deduplicates. Two threads seal; at most runs.seal-queue
 * seals wait for them, and a seal past that is refused with QUEUE_FULL (counted in quantbot_runs_seal_rejected_total):
 * the run stays finished and unsealed until FinishRun is retried or the daemon restarts.
 */
@Singleton
public final class RunSealer {
    private static final Pattern RUN_ID = Pattern.compile("run_[0-9A-Z]{26}");

    private final ReaderConnections readers;
    private final LakeCatalog catalog;
    private final Path stagingDir;
    static final int THREADS = 2;
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final Timer sealLatency;
    private final Counter rejected;
    private final int queueCapacity;
    private final ThreadPoolExecutor executor;

    @Inject
    public RunSealer(ReaderConnections readers, LakeCatalog catalog, DatabaseConfig config, RunsConfig runsConfig, MeterRegistry registry) {
        this.readers = requireNonNull(readers, "readers is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.stagingDir = config.stagingDir();
        this.queueCapacity = runsConfig.sealQueue();
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueCapacity), runnable -> {
            Thread thread = new Thread(runnable, "run-sealer");
            thread.setDaemon(true);
            return thread;
        });
        this.rejected = Counter.builder("quantbot.runs.seal.rejected")
                .description("Seals refused with RESOURCE_EXHAUSTED (QUEUE_FULL) because runs.seal-queue seals already waited for a sealing thread")
                .register(registry);
        Gauge.builder("quantbot.runs.seal.queue", executor, pool -> pool.getQueue().size())
                .description("Seals waiting for a sealing thread (at most runs.seal-queue)")
                .register(registry);
        this.sealLatency = Timer.builder("quantbot.runs.seal")
                .description("Time to seal finished runs into a run_results Parquet artifact")
                .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500),
                        Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30))
                .register(registry);
    }

    /** Writes and registers the artifact; completes with its id. */
    CompletableFuture<String> seal(List<RunRecord> runs) {
        CompletableFuture<StagedArtifact> staged;
        try {
            staged = CompletableFuture.supplyAsync(() -> stage(runs), executor);
        } catch (RejectedExecutionException e) {
            if (executor.isShutdown()) {
                return CompletableFuture.failedFuture(StorageException.builder(ErrorCode.SHUTTING_DOWN,
                        "the daemon is shutting down; the run is sealed at the next start").build());
            }
            rejected.increment();
            return CompletableFuture.failedFuture(StorageException.builder(ErrorCode.QUEUE_FULL,
                            "the run is finished but not sealed: " + THREADS + " seals run and " + queueCapacity
                                    + " wait (runs.seal-queue); retry FinishRun after a short pause to seal it")
                    .retryAfter(RETRY_AFTER)
                    .metadata("queue", "run-sealer")
                    .build());
        }
        return staged.thenCompose(catalog::register).thenApply(registration -> registration.artifact().id());
    }

    private StagedArtifact stage(List<RunRecord> runs) {
        long start = System.nanoTime();
        Path temporary = stagingDir.resolve("seal-" + UUID.randomUUID() + ".parquet.tmp");
        Path staged = stagingDir.resolve(temporary.getFileName().toString().replace(".tmp", ""));
        String ids = sqlList(runs);
        List<ColumnSpec> columns = ArtifactTypes.RUN_RESULTS.columns();
        StringBuilder select = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            select.append(i == 0 ? "" : ", ").append(ParquetContentHasher.identifier(columns.get(i).name()));
        }
        select.append(" FROM run_rows WHERE run_id IN (").append(ids).append(") ORDER BY ");
        List<String> order = ArtifactTypes.RUN_RESULTS.hashOrder();
        for (int i = 0; i < order.size(); i++) {
            select.append(i == 0 ? "" : ", ").append(ParquetContentHasher.identifier(order.get(i))).append(" ASC NULLS LAST");
        }
        try {
            ParquetContentHasher.Summary summary = readers.read(connection -> {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("COPY (" + select + ") TO '" + temporary.toString().replace("'", "''")
                            + "' (FORMAT PARQUET, COMPRESSION ZSTD)");
                }
                return ParquetContentHasher.hash(connection, temporary, ArtifactTypes.RUN_RESULTS);
            });
            LakeFiles.fsync(temporary);
            Files.move(temporary, staged, StandardCopyOption.ATOMIC_MOVE);
            SealPlan plan = SealPlan.of(runs);
            StagedArtifact artifact = new StagedArtifact(staged, "parquet", ArtifactTypes.RUN_RESULTS_TYPE, ArtifactTypes.RUN_RESULTS.version(),
                    plan.logicalKey(), LakeFiles.sha256(staged), summary.contentHash(), summary.rowCount(), Files.size(staged), summary.minTsMs(),
                    summary.maxTsMs(), columns, plan.tags(), plan.inputIds(),
                    new Provenance("storage-daemon/seal-runs", DaemonInfoService.version(), plan.paramsJson()), false,
                    runs.stream().map(RunRecord::runId).toList());
            sealLatency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            return artifact;
        } catch (SQLException e) {
            deleteQuietly(temporary);
            throw new IllegalStateException("sealing " + runs.size() + " run(s) failed: " + e.getMessage(), e);
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new UncheckedIOException("sealing " + runs.size() + " run(s) failed: " + e.getMessage(), e);
        }
    }

    /** Run ids as a SQL list; every id is checked against the generated format first. */
    static String sqlList(List<RunRecord> runs) {
        StringBuilder ids = new StringBuilder();
        for (RunRecord run : runs) {
            if (!RUN_ID.matcher(run.runId()).matches()) {
                throw new IllegalArgumentException("not a run id: " + run.runId());
            }
            ids.append(ids.length() == 0 ? "" : ", ").append('\'').append(run.runId()).append('\'');
        }
        return ids.toString();
    }

    /** Lets seals under way finish (a seal cut short is resumed at the next start). */
    void stop() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
