package io.quantbot.storage.daemon.state;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static io.quantbot.storage.daemon.testing.GrpcErrors.retryInfo;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.SmallDisk;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, item 9, through the API: a daemon whose disk fills up answers RESOURCE_EXHAUSTED with reason
 * DISK_FULL, /readyz says why it is not ready, writes resume by themselves once space is freed, and
 * exactly the acknowledged writes are stored, before and after a restart.
 */
class DiskFullDaemonTest {
    private static final ByteString VALUE = ByteString.copyFrom(new byte[48 * 1024]);

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aFullDiskIsResourceExhaustedNotReadyAndRecoversWhenSpaceIsFreed() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(tmp.resolve("disk"), "48m")) {
            Path dataDir = disk.path().resolve("data");
            Map<String, Long> acknowledged = new HashMap<>();
            Set<String> refused = new HashSet<>();
            try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dataDir).set("duckdb.low-space-threshold", "0").build()) {
                var stub = StatePortGrpc.newBlockingStub(daemon.inProcessChannel());
                Await.until("ready", Duration.ofSeconds(60), () -> readyz(daemon).statusCode() == 200);
                Path filler = disk.fillLeaving(1024 * 1024);

                StatusRuntimeException failure = null;
                for (int i = 0; i < 200 && failure == null; i++) {
                    String key = "k" + i;
                    try {
                        acknowledged.put(key, stub.set(set(key)).getVersion());
                    } catch (StatusRuntimeException e) {
                        refused.add(key);
                        failure = e;
                    }
                }
                assertThat(failure).as("the disk filled up").isNotNull();
                StatusRuntimeException first = failure;
                expectError(() -> {
                    throw first;
                }, Status.Code.RESOURCE_EXHAUSTED, "DISK_FULL");
                assertThat(retryInfo(first)).isPresent();
                assertThat(acknowledged).isNotEmpty();
                expectError(() -> stub.set(set("while-full")), Status.Code.RESOURCE_EXHAUSTED, "DISK_FULL");
                refused.add("while-full");
                HttpResponse<String> notReady = readyz(daemon);
                assertThat(notReady.statusCode()).isEqualTo(503);
                assertThat(notReady.body()).contains("storage").contains("full");
                // Reads go on meanwhile.
                assertThat(stub.get(GetRequest.newBuilder().setNamespace("disk").setKey("k0").build()).getEntry().getVersion())
                        .isEqualTo(acknowledged.get("k0"));

                Files.delete(filler);
                Await.until("ready again once space is freed", Duration.ofSeconds(60), () -> readyz(daemon).statusCode() == 200);
                long highest = acknowledged.values().stream().mapToLong(Long::longValue).max().orElseThrow();
                for (int i = 0; i < 5; i++) {
                    long version = stub.set(set("after-" + i)).getVersion();
                    assertThat(version).isGreaterThan(highest);
                    acknowledged.put("after-" + i, version);
                }
                assertThat(storedKeys(stub)).isEqualTo(acknowledged.keySet());
            }
            try (TestingStorageDaemon again = TestingStorageDaemon.builder().onDisk(dataDir).build()) {
                var stub = StatePortGrpc.newBlockingStub(again.inProcessChannel());
                assertThat(storedKeys(stub)).as("after a restart: every acknowledged write, nothing refused").isEqualTo(acknowledged.keySet());
                assertThat(storedKeys(stub)).doesNotContainAnyElementsOf(refused);
            }
        }
    }

    private static SetRequest set(String key) {
        return SetRequest.newBuilder().setNamespace("disk").setKey(key).setValue(Value.newBuilder().setRaw(VALUE)).build();
    }

    private static Set<String> storedKeys(StatePortGrpc.StatePortBlockingStub stub) {
        Set<String> keys = new HashSet<>();
        String token = "";
        do {
            var page = stub.list(ListRequest.newBuilder().setNamespace("disk").setPageSize(1000).setPageToken(token).setKeysOnly(true).build());
            page.getEntriesList().forEach(entry -> keys.add(entry.getKey()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return keys;
    }

    private HttpResponse<String> readyz(TestingStorageDaemon daemon) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
