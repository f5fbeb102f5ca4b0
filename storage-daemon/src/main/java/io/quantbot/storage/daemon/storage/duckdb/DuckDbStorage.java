package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.batch.SnapshotUploads;
import io.quantbot.storage.daemon.storage.StorageEngine;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.StateConfig;
import io.quantbot.storage.daemon.state.StateRepository;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DuckDB side of the storage layer as one component: opens the database, applies migrations,
 * loads the in-memory indexes, starts the writer, and runs maintenance (TTL purge, forced checkpoints
 * on a schedule and when the WAL grows). Stops in reverse, with a final checkpoint. In cluster mode the same
 * component keeps the node's local part (runs' hot rows, the lake files) while StateRepository is bound to
 * another engine; then it neither loads nor purges DuckDB's state table.
 */
@Singleton
public final class DuckDbStorage implements StorageEngine {
    private static final Logger log = LoggerFactory.getLogger(DuckDbStorage.class);

    private final DuckDbDatabase database;
    private final GroupCommitWriter writer;
    /** Empty when the state is kept by another engine (cluster mode's PostgreSQL). */
    private final java.util.Optional<DuckDbStateRepository> stateRepository;
    private final DuckDbLakeCatalog catalog;
    private final DuckDbRunLedger ledger;
    private final RunSealer sealer;
    private final ReaderConnections readers;
    private final DatabaseConfig config;
    private final StateConfig stateConfig;
    private final OrphanSweeper orphans;
    private final Counter checkpoints;
    private final Counter purgeFailures;
    private final Counter checkpointFailures;
    private ScheduledExecutorService maintenance;
    private boolean opened;
    private volatile int schemaVersion;
    private volatile long lastCheckpointNanos = System.nanoTime();

    @Inject
    public DuckDbStorage(
            DuckDbDatabase database,
            GroupCommitWriter writer,
            StateRepository stateRepository,
            DuckDbLakeCatalog catalog,
            DuckDbRunLedger ledger,
            RunSealer sealer,
            ReaderConnections readers,
            DatabaseConfig config,
            StateConfig stateConfig,
            OrphanSweeper orphans,
            MeterRegistry registry) {
        this.database = requireNonNull(database, "database is null");
        this.writer = requireNonNull(writer, "writer is null");
        requireNonNull(stateRepository, "stateRepository is null");
        this.stateRepository = stateRepository instanceof DuckDbStateRepository embedded ? java.util.Optional.of(embedded) : java.util.Optional.empty();
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.readers = requireNonNull(readers, "readers is null");
        this.config = requireNonNull(config, "config is null");
        this.stateConfig = requireNonNull(stateConfig, "stateConfig is null");
        this.orphans = requireNonNull(orphans, "orphans is null");
        this.checkpoints = Counter.builder("quantbot.duckdb.checkpoints")
                .description("Forced DuckDB checkpoints (WAL merged into the database file)")
                .register(registry);
        this.purgeFailures = maintenanceFailures(registry, "purge");
        this.checkpointFailures = maintenanceFailures(registry, "checkpoint");
    }

    private static Counter maintenanceFailures(MeterRegistry registry, String task) {
        return Counter.builder("quantbot.duckdb.maintenance_failures")
                .description("Background maintenance runs (TTL purge, forced checkpoint) that failed; a failure the writer"
                        + " recognises as a storage fault (disk full, invalidated database) also takes readiness down")
                .tag("task", task)
                .register(registry);
    }

    /**
     * Opens the database, loads the indexes, starts the writer and resumes interrupted seals. The resumption is
     * waited for outside the monitor: it can take seconds per sealed run, and stop() (SIGTERM during start)
     * must not queue behind it.
     */
    @Override
    public void start() throws SQLException {
        CompletableFuture<Void> resumed;
        synchronized (this) {
            database.open();
            opened = true;
            schemaVersion = SchemaMigrator.migrate(database.primaryConnection());
            cleanStaging();
            if (stateRepository.isPresent()) {
                stateRepository.get().load(database.primaryConnection());
            }
            catalog.load(database.primaryConnection());
            ledger.load(database.primaryConnection());
            writer.start();
            resumed = ledger.resumeSeals();
        }
        try {
            resumed.join();
        } catch (java.util.concurrent.CompletionException e) {
            requireNotStopped(e.getCause());
            throw e;
        }
        startMaintenance();
    }

    /** Throws when stop() ran while the seals resumed: the caller must not go on starting what depends on storage. */
    private synchronized void requireNotStopped(Throwable cause) {
        if (!opened) {
            throw new IllegalStateException("storage was stopped while interrupted seals resumed; they resume at the next start", cause);
        }
    }

    private synchronized void startMaintenance() {
        requireNotStopped(null);
        orphans.sweep();
        maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "duckdb-maintenance");
            thread.setDaemon(true);
            return thread;
        });
        long purgeMillis = stateConfig.purgeInterval().toMillis();
        if (stateRepository.isPresent()) {
            maintenance.scheduleWithFixedDelay(this::purgeExpiredState, purgeMillis, purgeMillis, TimeUnit.MILLISECONDS);
        }
        maintenance.scheduleWithFixedDelay(this::checkpointIfDue, 5, 5, TimeUnit.SECONDS);
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        if (!opened) {
            return;
        }
        opened = false;
        if (maintenance != null) {
            maintenance.shutdownNow();
            maintenance.awaitTermination(10, TimeUnit.SECONDS);
        }
        sealer.stop();
        writer.stop();
        readers.close();
        database.recordPosition(0);
        try (Statement statement = database.primaryConnection().createStatement()) {
            statement.execute("CHECKPOINT");
        } catch (SQLException | IllegalStateException e) {
            checkpointFailures.increment();
            log.warn("Final checkpoint failed; the WAL is replayed at the next start", e);
        }
        database.close();
    }

    @Override
    public int schemaVersion() {
        return schemaVersion;
    }

    @Override
    public EngineInfo info() {
        return new EngineInfo("duckdb", duckDbVersion());
    }

    public String duckDbVersion() {
        return database.duckDbVersion();
    }

    /** Forces a checkpoint now, through the writer so it never races a write. */
    public void checkpoint() {
        writer.execute(new WriteTask<Void>() {
            @Override
            public Void apply(WriteContext context) throws SQLException {
                try (Statement statement = context.connection().createStatement()) {
                    statement.execute("CHECKPOINT");
                }
                return null;
            }

            @Override
            public boolean transactional() {
                return false;
            }

            @Override
            public String name() {
                return "duckdb.checkpoint";
            }
        });
        lastCheckpointNanos = System.nanoTime();
        checkpoints.increment();
    }

    private void purgeExpiredState() {
        if (writer.degraded().isPresent()) {
            return; // the writer refuses writes and reports why (readiness, metrics); it resumes by itself
        }
        try {
            stateRepository.orElseThrow().purge().join();
        } catch (RuntimeException e) {
            purgeFailures.increment();
            log.warn("Purging expired state failed", e);
        }
    }

    private void checkpointIfDue() {
        if (writer.degraded().isPresent()) {
            return;
        }
        try {
            boolean intervalPassed = System.nanoTime() - lastCheckpointNanos >= config.checkpointInterval().toNanos();
            boolean walTooLarge = database.walSizeBytes() > config.checkpointWalSize();
            if (intervalPassed || walTooLarge) {
                checkpoint();
            }
        } catch (RuntimeException e) {
            checkpointFailures.increment();
            log.warn("Checkpoint failed", e);
        }
    }

    /** Staging holds worker outputs that were never registered: leftovers of a crash. */
    private void cleanStaging() {
        Path staging = config.stagingDir();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(staging)) {
            int removed = 0;
            for (Path entry : entries) {
                if (Files.isRegularFile(entry)) {
                    Files.delete(entry);
                    removed++;
                }
            }
            if (removed > 0) {
                log.info("Removed {} unregistered files from {}", removed, staging);
            }
            // Snapshot uploads a crash interrupted: nothing was imported from them.
            Path uploads = SnapshotUploads.uploadsDir(staging);
            if (Files.isDirectory(uploads, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try (java.util.stream.Stream<Path> paths = Files.walk(uploads)) {
                    for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).filter(path -> !path.equals(uploads)).toList()) {
                        Files.deleteIfExists(path);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("Cleaning {} failed", staging, e);
        }
    }
}
