package io.quantbot.storage.daemon.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactQuery;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.SmallDisk;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode's warehouse is its own file system (a shared mount) and fills up on its own: a daemon whose warehouse
 * runs low refuses artifact writes with DISK_FULL (RESOURCE_EXHAUSTED, retry later), keeps nothing of them (no row,
 * no file), reports not ready with the reason (condition {@code warehouse}) while its own data dir has room, and takes
 * writes again by itself once space is freed. Needs root (a small tmpfs) and PostgreSQL; fails under CI=true without.
 */
class WarehouseFullClusterTest {
    private static final long T0 = 1_767_225_600_000L;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aFullWarehouseRefusesWritesWithDiskFullIsNotReadyAndRecovers() throws Exception {
        try (TestPostgres.Database database = TestPostgres.newDatabase(); SmallDisk disk = SmallDisk.mount(tmp.resolve("warehouse"), "32m")) {
            try (TestingStorageDaemon daemon = database.configure(TestingStorageDaemon.builder()).onDisk(tmp.resolve("node"))
                    .set("cluster.warehouse", disk.path().toUri().toString()).set("duckdb.low-space-threshold", "8MiB").build()) {
                Await.until("ready", Duration.ofSeconds(60), () -> readyz(daemon).statusCode() == 200);
                LakeCatalog catalog = daemon.getInstance(LakeCatalog.class);
                String first = LakeFixtures.publishCandles(daemon, "full", "Full1111111111111111111111111111111111111", "solana", "1m",
                        LakeFixtures.minuteCandles(T0, 60)).artifact().id();
                List<Path> filesBefore = lakeFiles(disk.path());

                Path filler = disk.fillLeaving(4L * 1024 * 1024);
                Await.until("not ready (warehouse)", Duration.ofSeconds(30), () -> readyz(daemon).body().contains("warehouse"));
                HttpResponse<String> notReady = readyz(daemon);
                assertThat(notReady.statusCode()).isEqualTo(503);
                assertThat(notReady.body()).contains("bytes free, under duckdb.low-space-threshold");

                StorageException refused = catchThrowableOfType(StorageException.class, () -> LakeFixtures.publishCandles(daemon, "full",
                        "Full2222222222222222222222222222222222222", "solana", "1m", LakeFixtures.minuteCandles(T0, 60)));
                assertThat(refused).isNotNull();
                assertThat(refused.code()).isEqualTo(ErrorCode.DISK_FULL);
                assertThat(refused.getMessage()).contains("shared warehouse").contains("nothing of this write was kept");
                assertThat(catalog.list(new ArtifactQuery(Optional.of("ohlcv_slice"), EnumSet.allOf(ArtifactStatus.class), Map.of(), 0, 0), "", 100))
                        .as("no row for the refused write").extracting(record -> record.id()).containsExactly(first);
                assertThat(lakeFiles(disk.path())).as("no file for the refused write").containsExactlyInAnyOrderElementsOf(filesBefore);
                assertThat(daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class).get("quantbot.warehouse.disk_full").counter().count())
                        .isEqualTo(1.0);

                Files.delete(filler);
                Await.until("ready again once space is freed", Duration.ofSeconds(30), () -> readyz(daemon).statusCode() == 200);
                assertThat(LakeFixtures.publishCandles(daemon, "full", "Full2222222222222222222222222222222222222", "solana", "1m",
                        LakeFixtures.minuteCandles(T0, 60)).deduped()).isFalse();
            }
        }
    }

    @Test
    void aFileSystemFullWhileWritingIsDiskFullAndAnythingElseIsItself() {
        WarehouseSpace space = new WarehouseSpace(tmp, 0, new Readiness(), new SimpleMeterRegistry());
        RuntimeException full = space.refusal(new UncheckedIOException("cannot move x into the lake", new IOException("No space left on device")));
        assertThat(full).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL));
        RuntimeException quota = space.refusal(new UncheckedIOException(new IOException("Disk quota exceeded")));
        assertThat(quota).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DISK_FULL));
        IllegalStateException other = new IllegalStateException("something else");
        assertThat(space.refusal(other)).isSameAs(other);

        Readiness readiness = new Readiness();
        WarehouseSpace gone = new WarehouseSpace(tmp.resolve("not-mounted"), 0, readiness, new SimpleMeterRegistry());
        StorageException unreachable = catchThrowableOfType(StorageException.class, () -> gone.requireSpace(1));
        assertThat(unreachable.code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
        assertThat(readiness.reasons()).containsKey(WarehouseSpace.READINESS_CONDITION);
    }

    private static List<Path> lakeFiles(Path warehouse) throws IOException {
        Path lake = warehouse.resolve("lake");
        if (!Files.isDirectory(lake)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(lake)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private HttpResponse<String> readyz(TestingStorageDaemon daemon) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
