package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /admin/backup makes a consistent copy of a running daemon's data dir that another daemon starts on. */
class BackupTest {
    @TempDir
    Path dir;

    /** A request as an operator's script sends it: with the admin header (no token: auth is off here). */
    static HttpRequest.Builder admin(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).header(HttpOpsServer.ADMIN_HEADER, "1");
    }

    @Test
    void anOnlineBackupIsACompleteDataDir() throws Exception {
        Path backup = dir.resolve("backups").resolve("b1");
        String artifactId;
        HttpClient http = HttpClient.newHttpClient();
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir.resolve("data")).build()) {
            StatePortGrpc.newBlockingStub(daemon.loopbackChannel()).set(SetRequest.newBuilder().setNamespace("b").setKey("k")
                    .setValue(Value.newBuilder().setJson("{\"saved\": true}")).build());
            artifactId = LakeFixtures.publishCandles(daemon, "backup", "Backup111111111111111111111111111111111", "solana", "1m",
                    LakeFixtures.minuteCandles(1_767_225_600_000L, 30)).artifact().id();
            String base = "http://127.0.0.1:" + daemon.httpPort() + "/admin/backup";
            HttpResponse<String> done = http.send(admin(base + "?to=" + backup).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
            assertThat(done.body()).contains("\"lake_files\":2");
            assertThat(http.send(admin(base + "?to=" + backup).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
            assertThat(http.send(admin(base + "?to=" + dir.resolve("data/inside")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
            assertThat(http.send(admin(base).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
        }
        assertThat(Files.exists(backup.resolve("quantbot.duckdb"))).isTrue();
        try (TestingStorageDaemon restored = TestingStorageDaemon.builder().onDisk(backup).build()) {
            assertThat(StatePortGrpc.newBlockingStub(restored.inProcessChannel()).get(GetRequest.newBuilder().setNamespace("b").setKey("k").build())
                    .getEntry().getValue().getJson()).isEqualTo("{\"saved\": true}");
            var artifacts = ArtifactPortGrpc.newBlockingStub(restored.inProcessChannel());
            assertThat(artifacts.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(artifactId).build()).getRowCount()).isEqualTo(30);
            assertThat(artifacts.getCandles(GetCandlesRequest.newBuilder().setToken("Backup111111111111111111111111111111111").setChain("solana")
                    .setInterval("1m").build()).getTsMsCount()).isEqualTo(30);
        }
    }
}
