package io.quantbot.storage.daemon.storage.duckdb;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.cli.DaemonCommandAccess;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.server.HttpOpsServer;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactView;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.storage.v1.QueryRequest;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lake file changed in place (same size, even with its modification time put back) is never served:
 * GetCandles and Query fail DATA_LOSS; the admin verify endpoint and the offline {@code lake verify}
 * report it, and a missing file too.
 */
class LakeIntegrityTest {
    private static final String TOKEN_A = "IntegA111111111111111111111111111111111111";
    private static final String TOKEN_B = "IntegB111111111111111111111111111111111111";
    private static final String TOKEN_C = "IntegC111111111111111111111111111111111111";

    @TempDir
    Path dir;

    /** Flips bytes in the middle of the file, keeping its size and modification time. */
    private static void tamperInPlace(Path file) throws Exception {
        FileTime modified = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long at = size / 2;
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x5a);
        }
        Files.setLastModifiedTime(file, modified);
        assertThat(Files.size(file)).isEqualTo(size);
    }

    private static void expectChanged(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.FILE_CORRUPTED));
    }

    private static GetCandlesRequest candles(String token) {
        return GetCandlesRequest.newBuilder().setToken(token).setChain("solana").setInterval("1m").build();
    }

    @Test
    void aChangedLakeFileIsNeverServedAndVerifyReportsIt() throws Exception {
        Path data = dir.resolve("data");
        ArtifactRecord a;
        ArtifactRecord b;
        ArtifactRecord c;
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(data).build()) {
            a = LakeFixtures.publishCandles(daemon, "i", TOKEN_A, "solana", "1m", LakeFixtures.minuteCandles(1_767_225_600_000L, 50)).artifact();
            b = LakeFixtures.publishCandles(daemon, "i", TOKEN_B, "solana", "1m", LakeFixtures.minuteCandles(1_767_225_600_000L, 50)).artifact();
            c = LakeFixtures.publishCandles(daemon, "i", TOKEN_C, "solana", "1m", LakeFixtures.minuteCandles(1_767_225_600_000L, 50)).artifact();
            var stub = ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel());
            LakeCatalog catalog = daemon.getInstance(LakeCatalog.class);
            // B is served (and its fingerprint remembered) before anything changes.
            assertThat(catalog.localFile(b)).isEqualTo(data.resolve(b.path()));

            tamperInPlace(data.resolve(a.path()));
            tamperInPlace(data.resolve(b.path()));
            var failure = expectError(() -> stub.getCandles(candles(TOKEN_A)), Status.Code.DATA_LOSS, "FILE_CORRUPTED");
            assertThat(failure.getStatus().getDescription()).contains(a.id()).doesNotContain(data.toString());
            // A file already verified once is checked again: its change time moved, whatever its mtime says.
            expectChanged(() -> catalog.localFile(b));
            expectError(() -> stub.query(QueryRequest.newBuilder().setSql("SELECT count(*) FROM v")
                    .addViews(ArtifactView.newBuilder().setName("v").addArtifactIds(b.id())).build()), Status.Code.DATA_LOSS, "FILE_CORRUPTED");
            // The untouched one is served.
            assertThat(stub.getCandles(candles(TOKEN_C)).getTsMsCount()).isEqualTo(50);

            Files.delete(data.resolve(c.path()));
            expectChanged(() -> catalog.localFile(c));

            HttpResponse<String> verified = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + daemon.httpPort() + "/admin/verify")).header(HttpOpsServer.ADMIN_HEADER, "1")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(verified.statusCode()).as(verified.body()).isEqualTo(200);
            assertThat(verified.body()).contains("\"clean\":false").contains("\"checked\":3").contains(a.id()).contains(b.id()).contains(c.id());
            assertThat(verified.body().indexOf(c.id())).isGreaterThan(verified.body().indexOf("\"missing\""));
            HttpResponse<String> anonymous = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + daemon.httpPort() + "/admin/verify")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(403);
        }

        // Offline, on the stopped daemon's data dir.
        DaemonCommandAccess.Result offline = DaemonCommandAccess.run(Map.of(), "lake", "verify", "--data-dir", data.toString());
        assertThat(offline.exitCode()).as(offline.err()).isEqualTo(1);
        assertThat(offline.out()).contains("CHANGED  " + a.id()).contains("CHANGED  " + b.id()).contains("MISSING  " + c.id())
                .contains("3 artifact files checked").contains("2 changed, 1 missing");
    }

    @Test
    void anIntactLakeVerifiesCleanOnlineAndOffline() throws Exception {
        Path data = dir.resolve("clean");
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(data).build()) {
            LakeFixtures.publishCandles(daemon, "ok", TOKEN_A, "solana", "1m", LakeFixtures.minuteCandles(1_767_225_600_000L, 20));
            StorageMaintenance.IntegrityReport report = daemon.getInstance(DuckDbLakeCatalog.class).verifyLake();
            assertThat(report.clean()).isTrue();
            assertThat(report.checked()).isEqualTo(1);
            // While the daemon holds the database, the offline command refuses and points at the endpoint.
            DaemonCommandAccess.Result busy = DaemonCommandAccess.run(Map.of(), "lake", "verify", "--data-dir", data.toString());
            assertThat(busy.exitCode()).isEqualTo(3);
            assertThat(busy.err()).contains("/admin/verify");
        }
        DaemonCommandAccess.Result offline = DaemonCommandAccess.run(Map.of(), "lake", "verify", "--data-dir", data.toString());
        assertThat(offline.exitCode()).as(offline.err()).isZero();
        assertThat(offline.out()).contains("1 artifact files checked").contains("all match the catalog");
    }
}
