package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.MutableClock;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 defect 7: a failed background checkpoint is counted (quantbot_duckdb_maintenance_failures_total, task
 * checkpoint), not only logged. A checkpoint that fails because another transaction holds changes is not a storage
 * fault: readiness stays up, and the next checkpoint after that transaction ends succeeds.
 */
class MaintenanceFailureTest {
    @TempDir
    Path dir;

    @Test
    void aFailedCheckpointIsCountedAndTheNextOneRecovers() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir).set("duckdb.checkpoint-interval", "1ms").build()) {
            MeterRegistry registry = daemon.getInstance(MeterRegistry.class);
            Readiness readiness = daemon.getInstance(Readiness.class);
            DuckDbDatabase database = daemon.getInstance(DuckDbDatabase.class);
            double checkpointsBefore;
            try (Connection other = database.duplicateConnection(); Statement statement = other.createStatement()) {
                // A write transaction left open: DuckDB refuses a (non-forced) CHECKPOINT while it holds changes.
                statement.execute("BEGIN TRANSACTION");
                statement.execute("CREATE TABLE maintenance_blocker (i INTEGER)");
                statement.execute("INSERT INTO maintenance_blocker VALUES (1)");
                Await.until("a failed checkpoint is counted", Duration.ofSeconds(60),
                        () -> registry.get("quantbot.duckdb.maintenance_failures").tag("task", "checkpoint").counter().count() >= 1);
                assertThat(registry.get("quantbot.duckdb.maintenance_failures").tag("task", "purge").counter().count()).isZero();
                assertThat(readiness.isReady()).as("a refused checkpoint is not a storage fault: %s", readiness.reasons()).isTrue();
                checkpointsBefore = registry.get("quantbot.duckdb.checkpoints").counter().count();
                statement.execute("ROLLBACK");
            }
            Await.until("the next checkpoint succeeds", Duration.ofSeconds(60),
                    () -> registry.get("quantbot.duckdb.checkpoints").counter().count() > checkpointsBefore);
            assertThat(readiness.isReady()).isTrue();
        }
    }

    @Test
    void aFailedPurgeIsCountedAndTheNextOneRemovesTheExpiredKey() throws Exception {
        MutableClock clock = new MutableClock(1_767_225_600_000L);
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir).clock(clock).set("state.purge-interval", "10ms").build()) {
            MeterRegistry registry = daemon.getInstance(MeterRegistry.class);
            Readiness readiness = daemon.getInstance(Readiness.class);
            DuckDbStateRepository repository = daemon.getInstance(DuckDbStateRepository.class);
            var stub = StatePortGrpc.newBlockingStub(daemon.inProcessChannel());
            stub.set(SetRequest.newBuilder().setNamespace("ttl").setKey("expires")
                    .setValue(Value.newBuilder().setJson("1")).setTtlMs(1_000).build());
            assertThat(repository.size()).isEqualTo(1);
            try (Connection other = daemon.getInstance(DuckDbDatabase.class).duplicateConnection(); Statement statement = other.createStatement()) {
                // Another transaction deletes the expired key's row and does not commit: the purge's DELETE conflicts with it and fails.
                statement.execute("BEGIN TRANSACTION");
                statement.execute("DELETE FROM state_log WHERE namespace = 'ttl' AND key = 'expires'");
                clock.advance(Duration.ofSeconds(2));
                Await.until("a failed purge is counted", Duration.ofSeconds(60),
                        () -> registry.get("quantbot.duckdb.maintenance_failures").tag("task", "purge").counter().count() >= 1);
                assertThat(repository.size()).as("the key stays until a purge succeeds").isEqualTo(1);
                assertThat(readiness.isReady()).as("a conflicting purge is not a storage fault: %s", readiness.reasons()).isTrue();
                statement.execute("ROLLBACK");
            }
            Await.until("the next purge removes the expired key", Duration.ofSeconds(60), () -> repository.size() == 0);
            assertThat(readiness.isReady()).isTrue();
        }
    }
}
