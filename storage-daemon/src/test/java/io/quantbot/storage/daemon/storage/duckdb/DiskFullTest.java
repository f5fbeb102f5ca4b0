package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.SmallDisk;
import io.quantbot.storage.daemon.testing.TestingTicker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, item 9: running out of disk for real, on a small tmpfs. Writes fail with DISK_FULL, readiness
 * goes down, the writer recovers by itself once space is freed (its backoff on an injected ticker), and
 * afterwards exactly the acknowledged writes are stored.
 */
class DiskFullTest {
    private static final String PAYLOAD = "x".repeat(16 * 1024);

    @TempDir
    Path tmp;

    private SmallDisk disk;
    private DuckDbDatabase database;
    private GroupCommitWriter writer;
    private final Readiness readiness = new Readiness();
    private final TestingTicker ticker = new TestingTicker();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Set<Long> acknowledged = new HashSet<>();
    private final Set<Long> refused = new HashSet<>();

    private void start(String lowSpaceThreshold, String checkpointThreshold) throws Exception {
        disk = SmallDisk.mount(tmp.resolve("disk"), "16m");
        DatabaseConfig config = DatabaseConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of(
                "data-dir", disk.path().resolve("data").toString(), "duckdb.low-space-threshold", lowSpaceThreshold)));
        database = new DuckDbDatabase(config);
        database.open();
        try (Statement statement = database.primaryConnection().createStatement()) {
            statement.execute("SET checkpoint_threshold = '" + checkpointThreshold + "'");
            statement.execute("CREATE TABLE t (id BIGINT, payload VARCHAR)");
            statement.execute("CHECKPOINT");
        }
        writer = new GroupCommitWriter(database, config, readiness, registry, ticker);
        writer.start();
        readiness.markReady(Readiness.STARTED);
    }

    @AfterEach
    void stop() throws Exception {
        if (writer != null) {
            writer.stop();
        }
        if (database != null) {
            database.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void aFullDiskFailsWritesWithDiskFullAndTheWriterRecoversWhenSpaceReturns() throws Exception {
        start("0", "1GB");
        Path filler = disk.fillLeaving(512 * 1024);
        StorageException failure = writeUntilRefused(1, 200);
        assertThat(failure.code()).isEqualTo(ErrorCode.DISK_FULL);
        assertThat(failure.retryAfter()).isPresent();
        assertThat(failure.getMessage()).doesNotContain(disk.path().toString()); // no server paths to clients
        assertThat(readiness.isReady()).isFalse();
        assertThat(readiness.reasons().get(Readiness.STORAGE)).contains("full");
        assertThat(acknowledged).isNotEmpty();

        // While degraded, writes are refused at once, without touching DuckDB.
        for (long id = 1000; id < 1010; id++) {
            assertThat(submitAndWait(id)).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL));
        }
        assertThat(registry.get("quantbot.group_commit.refused").tag("reason", "disk_full").counter().count()).isGreaterThanOrEqualTo(10);

        Files.delete(filler);
        ticker.advance(GroupCommitWriter.FIRST_PROBE_DELAY);
        Await.until("the writer resumes once space is back", Duration.ofSeconds(30), readiness::isReady);
        writeSome(2000, 10);

        assertStoredExactlyTheAcknowledged();
        database.reopen();
        assertStoredExactlyTheAcknowledged();
    }

    @Test
    void belowTheLowSpaceThresholdWritesAreRefusedBeforeTheDiskIsFull() throws Exception {
        start("4MiB", "1GB");
        writeSome(1, 5);
        Path filler = disk.fillLeaving(3 * 1024 * 1024);
        assertThat(submitAndWait(100)).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL);
            assertThat(e.getMessage()).contains("duckdb.low-space-threshold");
            assertThat(e.metadata()).containsKey("free_bytes");
        });
        assertThat(readiness.isReady()).isFalse();
        assertThat(registry.get("quantbot.duckdb.free_space").gauge().value()).isBetween(1.0, 4.0 * 1024 * 1024);

        // Time stands still: the writer does not look again before its backoff has passed, even with space back.
        Files.delete(filler);
        assertThat(submitAndWait(101)).isInstanceOf(StorageException.class);
        ticker.advance(GroupCommitWriter.FIRST_PROBE_DELAY);
        Await.until("the writer resumes once space is back", Duration.ofSeconds(30), readiness::isReady);
        writeSome(200, 5);
        assertStoredExactlyTheAcknowledged();
    }

    @Test
    void aCommitThatIsDurableThoughItsCheckpointFailedIsASuccessAndTheDatabaseIsReopened() throws Exception {
        // Every commit checkpoints; with a little space left the WAL append fits but the checkpoint does not, and
        // DuckDB says "Transaction COMMIT succeeded and is durable, but the autocheckpoint failed".
        start("0", "1KB");
        Path filler = disk.fillLeaving(160 * 1024);
        long id = 1;
        while (registry.get("quantbot.group_commit.durable_commit_checkpoint_failures").counter().count() == 0 && id < 200) {
            Throwable outcome = submitAndWait(id, "y".repeat(200));
            if (outcome != null) {
                assertThat(outcome).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL));
            }
            id++;
        }
        assertThat(registry.get("quantbot.group_commit.durable_commit_checkpoint_failures").counter().count())
                .as("DuckDB reported a durable commit with a failed checkpoint").isEqualTo(1);
        long durable = id - 1;
        assertThat(acknowledged).as("that write was answered as committed").contains(durable);

        Files.delete(filler);
        ticker.advance(GroupCommitWriter.MAX_PROBE_DELAY);
        Await.until("the database is reopened and writes resume", Duration.ofSeconds(30), readiness::isReady);
        assertThat(registry.get("quantbot.duckdb.reopens").tag("outcome", "success").counter().count()).isGreaterThanOrEqualTo(1);
        writeSome(500, 3);
        assertStoredExactlyTheAcknowledged();
    }

    private StorageException writeUntilRefused(long firstId, int most) throws Exception {
        for (long id = firstId; id < firstId + most; id++) {
            Throwable outcome = submitAndWait(id);
            if (outcome != null) {
                assertThat(outcome).isInstanceOf(StorageException.class);
                return (StorageException) outcome;
            }
        }
        throw new AssertionError("the disk never filled up");
    }

    private void writeSome(long firstId, int count) throws Exception {
        for (long id = firstId; id < firstId + count; id++) {
            assertThat(submitAndWait(id)).as("write %d after recovery", id).isNull();
        }
    }

    private Throwable submitAndWait(long id) throws Exception {
        return submitAndWait(id, PAYLOAD);
    }

    /** Submits one insert and waits for its answer: null when acknowledged, else the failure. Records which. */
    private Throwable submitAndWait(long id, String payload) throws Exception {
        try {
            CompletableFuture<Long> future = writer.submit(new WriteTask<Long>() {
                @Override
                public Long apply(WriteContext context) throws SQLException {
                    try (PreparedStatement insert = context.connection().prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                        insert.setLong(1, id);
                        insert.setString(2, payload);
                        insert.execute();
                    }
                    return id;
                }

                @Override
                public String name() {
                    return "insert";
                }
            });
            future.get(60, TimeUnit.SECONDS);
            acknowledged.add(id);
            return null;
        } catch (StorageException e) {
            refused.add(id);
            return e;
        } catch (ExecutionException e) {
            refused.add(id);
            return e.getCause();
        }
    }

    private void assertStoredExactlyTheAcknowledged() throws SQLException {
        Set<Long> stored = new HashSet<>();
        try (Connection connection = database.duplicateConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT id FROM t")) {
            while (rows.next()) {
                stored.add(rows.getLong(1));
            }
        }
        assertThat(stored).as("every acknowledged write is stored, and no write answered as failed").isEqualTo(acknowledged);
        assertThat(refused).doesNotContainAnyElementsOf(stored);
    }
}
