package io.quantbot.storage.daemon.state;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbDatabase;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbStateRepository;
import io.quantbot.storage.daemon.testing.MutableClock;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** State survives restarts; versions keep increasing across them; expired keys are purged from disk. */
class StatePersistenceTest {

    @Test
    void stateSurvivesARestartAndVersionsKeepIncreasing() throws Exception {
        Path dir = Files.createTempDirectory("persist-");
        long before;
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir).build()) {
            var stub = StatePortGrpc.newBlockingStub(daemon.inProcessChannel());
            stub.set(set("sweeps", "done:1", "{\"scenarios\": [1, 2]}").build());
            stub.set(set("sweeps", "gone", "1").build());
            stub.delete(DeleteRequest.newBuilder().setNamespace("sweeps").setKey("gone").build());
            before = stub.set(set("sweeps", "done:2", "[]").setTtlMs(Duration.ofDays(7).toMillis()).build()).getVersion();
        }
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir).build()) {
            var stub = StatePortGrpc.newBlockingStub(daemon.inProcessChannel());
            assertThat(stub.get(GetRequest.newBuilder().setNamespace("sweeps").setKey("done:1").build()).getEntry().getValue().getJson())
                    .isEqualTo("{\"scenarios\": [1, 2]}");
            var withTtl = stub.get(GetRequest.newBuilder().setNamespace("sweeps").setKey("done:2").build()).getEntry();
            assertThat(withTtl.getExpiresAtMs()).isPositive();
            assertThat(withTtl.getVersion()).isEqualTo(before);
            expectError(() -> stub.get(GetRequest.newBuilder().setNamespace("sweeps").setKey("gone").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
            long after = stub.set(set("sweeps", "done:1", "{}").build()).getVersion();
            assertThat(after).isGreaterThan(before);
            daemon.deleteDataDir();
        }
    }

    @Test
    void purgeRemovesExpiredKeysFromDiskAndMemory() throws Exception {
        MutableClock clock = new MutableClock(1_767_225_600_000L);
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().clock(clock).build()) {
            var stub = StatePortGrpc.newBlockingStub(daemon.inProcessChannel());
            stub.set(set("ttl", "old-then-long", "1").build());
            stub.set(set("ttl", "old-then-long", "2").setTtlMs(1_000).build());
            stub.set(set("ttl", "expires", "1").setTtlMs(1_000).build());
            stub.set(set("ttl", "stays", "1").setTtlMs(3_600_000).build());
            DuckDbStateRepository repository = daemon.getInstance(DuckDbStateRepository.class);
            assertThat(repository.size()).isEqualTo(3);
            clock.advance(Duration.ofSeconds(2));
            repository.purge().join();
            assertThat(repository.size()).isEqualTo(1);
            // Both rows of "old-then-long" are gone: purging only the newest row would resurrect the older one.
            assertThat(countRows(daemon, "old-then-long")).isZero();
            assertThat(countRows(daemon, "expires")).isZero();
            assertThat(countRows(daemon, "stays")).isEqualTo(1);
            assertThat(repository.liveBytes()).isEqualTo(1);
        }
    }

    private static long countRows(TestingStorageDaemon daemon, String key) throws Exception {
        try (var connection = daemon.getInstance(DuckDbDatabase.class).duplicateConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM state_log WHERE key = '" + key + "'")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static SetRequest.Builder set(String namespace, String key, String json) {
        return SetRequest.newBuilder().setNamespace(namespace).setKey(key).setValue(Value.newBuilder().setJson(json));
    }
}
