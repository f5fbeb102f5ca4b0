package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.server.HttpOpsServer;
import io.quantbot.storage.daemon.testing.MutableClock;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Orphans of killed imports and publishes: old files no catalog entry names go (at start and on
 * demand), fresh ones stay (a publish may be in flight), named files never go whatever their age.
 */
class OrphanSweeperTest {
    @TempDir
    Path dir;

    private static Path plant(Path file, long modifiedMillis) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "PAR1 left by a killed publish");
        Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMillis));
        return file;
    }

    private static HttpResponse<String> sweep(TestingStorageDaemon daemon, boolean admin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/admin/sweep-orphans"))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (admin) {
            request.header(HttpOpsServer.ADMIN_HEADER, "1");
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void onlyOldUnnamedFilesGo() throws Exception {
        Path data = dir.resolve("data");
        long now = System.currentTimeMillis();
        MutableClock clock = new MutableClock(now);
        long old = now - Duration.ofHours(3).toMillis();
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(data).clock(clock).set("lake.orphan-grace-period", "1h").build()) {
            ArtifactRecord named = LakeFixtures.publishCandles(daemon, "o", "Orphan11111111111111111111111111111111111", "solana", "1m",
                    LakeFixtures.minuteCandles(1_767_225_600_000L, 10)).artifact();
            // Named files are as old as the orphans: age alone never removes them.
            Files.setLastModifiedTime(data.resolve(named.path()), FileTime.fromMillis(old));
            Files.setLastModifiedTime(data.resolve(named.sidecarPath()), FileTime.fromMillis(old));
            Path killedParquet = plant(data.resolve("lake/ohlcv_slice/v1/snapshot=x__ch=deadbeef.parquet"), old);
            Path killedSidecar = plant(data.resolve("lake/ohlcv_slice/v1/snapshot=x__ch=deadbeef.json.tmp"), old);
            Path strayTmp = plant(data.resolve("lake/run_results/v1/sweep=s/run=r__ch=01234567.parquet.tmp"), old);
            Path staleStaging = plant(data.resolve("staging/publish-0001.parquet"), old);
            Path inFlight = plant(data.resolve("lake/alerts/v1/snapshot=y/alerts__ch=cafebabe.parquet"), now);
            Path inFlightStaging = plant(data.resolve("staging/import-0002.parquet"), now);
            // A long UploadSnapshot still streaming: its first files are older than the grace period, yet never swept.
            Path longUpload = plant(data.resolve("staging/uploads/0b6f3c2e/candles/a.csv"), old);

            assertThat(sweep(daemon, false).statusCode()).as("an admin request").isEqualTo(403);
            assertThat(killedParquet).exists();

            HttpResponse<String> swept = sweep(daemon, true);
            assertThat(swept.statusCode()).as(swept.body()).isEqualTo(200);
            assertThat(swept.body()).contains("lake/ohlcv_slice/v1/snapshot=x__ch=deadbeef.parquet", "snapshot=x__ch=deadbeef.json.tmp",
                    "run=r__ch=01234567.parquet.tmp", "staging/publish-0001.parquet").contains("\"kept_recent\":2");
            assertThat(killedParquet).doesNotExist();
            assertThat(killedSidecar).doesNotExist();
            assertThat(strayTmp).doesNotExist();
            assertThat(staleStaging).doesNotExist();
            assertThat(inFlight).exists();
            assertThat(inFlightStaging).exists();
            assertThat(longUpload).exists();
            assertThat(swept.body()).doesNotContain("uploads");
            assertThat(data.resolve(named.path())).exists();
            assertThat(data.resolve(named.sidecarPath())).exists();
            assertThat(daemon.getInstance(MeterRegistry.class).get("quantbot.lake.orphans.removed").counter().count()).isEqualTo(4);

            // Past the grace period the once-fresh files are orphans too; the named ones still stay.
            clock.advance(Duration.ofHours(2));
            HttpResponse<String> later = sweep(daemon, true);
            assertThat(later.body()).contains("alerts__ch=cafebabe.parquet", "staging/import-0002.parquet").contains("\"kept_recent\":0");
            assertThat(inFlight).doesNotExist();
            assertThat(data.resolve(named.path())).exists();
            assertThat(data.resolve(named.sidecarPath())).exists();
            assertThat(daemon.getInstance(DuckDbLakeCatalog.class).verifyLake().clean()).isTrue();
        }

        // At start: what a killed daemon left is swept before the daemon serves.
        Path leftover = plant(data.resolve("lake/features/v1/features__ch=aaaaaaaa.parquet"), old);
        Path young = plant(data.resolve("lake/features/v1/features__ch=bbbbbbbb.parquet"), System.currentTimeMillis());
        try (TestingStorageDaemon restarted = TestingStorageDaemon.builder().onDisk(data).set("lake.orphan-grace-period", "1h").build()) {
            assertThat(leftover).doesNotExist();
            assertThat(young).exists();
            assertThat(restarted.getInstance(DuckDbLakeCatalog.class).verifyLake().clean()).isTrue();
        }
    }
}
