package io.quantbot.storage.daemon.batch;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactView;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Query sandbox through a real daemon, as a read-only token holder would attack it: texts that the old
 * view rewrite read differently from DuckDB (nested comments, a -- comment ended by a carriage return) and
 * table functions that act on the database. Each is refused or runs as the one SELECT DuckDB reads; the
 * artifact's Parquet file keeps its bytes, the lake gains no file, and built-ins stay built-ins for the
 * next caller on the same (single) worker.
 */
@Tag("python")
class QuerySandboxTest {
    private static final String READ_TOKEN = "read-token-0123456789abcdef";
    private static final String WRITE_TOKEN = "write-token-0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void aReadTokenCannotChangeTheLakeOrTheWorkerThroughQuery() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "reader read " + READ_TOKEN + "\nwriter write " + WRITE_TOKEN + "\n");
        Path data = Files.createDirectories(dir.resolve("data"));
        Path snapshot = Files.createDirectories(data.resolve("imports").resolve("snap").resolve("calls"));
        StringBuilder calls = new StringBuilder("call_id,caller,token,chain,ts,price\n");
        for (int i = 0; i < 10; i++) {
            calls.append("c").append(i).append(",caller-").append(i % 3).append(",So11111111111111111111111111111111111111112,solana,")
                    .append(1_767_225_600_000L + i * 60_000L).append(",1.5\n");
        }
        Files.writeString(snapshot.resolve("calls.csv"), calls.toString());
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(data).set("auth.tokens-file", tokens.toString())
                .set("python-worker.pool-size", "1").build()) {
            var base = ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel()).withDeadlineAfter(120, TimeUnit.SECONDS);
            ImportSnapshotResponse imported = base.withCallCredentials(bearer(WRITE_TOKEN))
                    .importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(snapshot.getParent().toString()).build());
            Artifact alerts = imported.getArtifactsList().stream().filter(a -> a.getType().equals("alerts")).findFirst().orElseThrow();
            Path lake = daemon.dataDir().resolve("lake");
            Path file = daemon.dataDir().resolve(alerts.getPath());
            Map<Path, String> before = digest(lake);
            assertThat(before).containsKey(file);

            var reader = base.withCallCredentials(bearer(READ_TOKEN));
            ArtifactView view = ArtifactView.newBuilder().setName("v").addArtifactIds(alerts.getId()).build();
            String copy = "COPY (SELECT 'x' AS call_id) TO '" + file + "' (FORMAT parquet)";
            List<String> commentTricks = List.of(
                    "/* /* */ WITH x AS (SELECT 1) SELECT 1; " + copy + "; -- */\nSELECT 1",
                    "--\r/*\nWITH x AS (SELECT 1) SELECT 1; " + copy + "; SELECT 1 --*/ SELECT 1",
                    "--\r/*\nWITH x AS (SELECT 1) SELECT 1; CREATE MACRO abs(x) AS 42; SELECT 1 --*/ SELECT 1",
                    "/* /* */ WITH x AS (SELECT 1) SELECT 1; ATTACH '" + lake.resolve("planted.duckdb") + "' AS p; -- */\nSELECT 1");
            for (String sql : commentTricks) {
                // DuckDB reads each as one SELECT 1 behind a comment: that is all that runs.
                QueryResponse answer = reader.query(QueryRequest.newBuilder().setSql(sql).addViews(view).build());
                assertThat(answer.getJsonRows()).as(sql).isEqualTo("[{\"1\":1}]");
            }
            for (String sql : List.of(
                    "SELECT * FROM enable_logging(storage='file', storage_path='" + lake.resolve("logs") + "')",
                    "SELECT * FROM query('SELECT 1')",
                    "SELECT * FROM (FROM checkpoint())")) {
                expectError(() -> reader.query(QueryRequest.newBuilder().setSql(sql).addViews(view).build()),
                        Status.Code.INVALID_ARGUMENT, "INVALID_SQL");
            }
            QueryResponse later = reader.query(QueryRequest.newBuilder()
                    .setSql("SELECT abs(-3) AS a, count(*) AS n, min(call_id) AS first FROM v").addViews(view).build());
            assertThat(later.getJsonRows()).isEqualTo("[{\"a\":3,\"n\":10,\"first\":\"c0\"}]");
            assertThat(digest(lake)).isEqualTo(before);
        }
    }

    private static Map<Path, String> digest(Path root) throws Exception {
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.toList()) {
                files.put(path, Files.isRegularFile(path)
                        ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path))) : "dir");
            }
        }
        return files;
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }
}
