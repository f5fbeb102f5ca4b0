package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /admin/backup as an attacker tries it: without a token or with a small one, from a web page
 * (a cross-site "simple" request), into the lake through a symlink, with hostile paths; and what an
 * admitted backup leaves on disk (0700 folders, 0600 files).
 */
class AdminEndpointSecurityTest {
    private static final String READ_TOKEN = "read-token-0123456789abcdef";
    private static final String WRITE_TOKEN = "write-token-0123456789abcdef";
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private TestingStorageDaemon daemon;

    @BeforeEach
    void start() throws Exception {
        daemon = TestingStorageDaemon.builder().onDisk(dir.resolve("data"))
                .set("auth.tokens", "r:read:" + READ_TOKEN + ",w:write:" + WRITE_TOKEN + ",ops:admin:" + ADMIN_TOKEN)
                .build();
        LakeFixtures.publishCandles(daemon, "sec", "Sec1111111111111111111111111111111111111", "solana", "1m",
                LakeFixtures.minuteCandles(1_767_225_600_000L, 10));
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    private String backupUri(Path to) {
        return "http://127.0.0.1:" + daemon.httpPort() + "/admin/backup?to=" + URLEncoder.encode(to.toString(), StandardCharsets.UTF_8);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder post(String uri, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(uri)).POST(HttpRequest.BodyPublishers.noBody());
        return headers.length == 0 ? builder : builder.headers(headers);
    }

    private List<Path> lakeFiles() throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("data/lake"))) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void tokensDecideWhoMayBackUp() throws Exception {
        Path target = dir.resolve("backups/b1");
        assertThat(send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1")).statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer not-a-real-token-at-all"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Basic " + ADMIN_TOKEN)).statusCode()).isEqualTo(401);
        HttpResponse<String> read = send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + READ_TOKEN));
        assertThat(read.statusCode()).isEqualTo(403);
        assertThat(read.body()).contains("PERMISSION_DENIED").contains("read role");
        assertThat(send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + WRITE_TOKEN)).statusCode()).isEqualTo(403);
        assertThat(target).doesNotExist();
        assertThat(dir.resolve("backups")).doesNotExist();

        HttpResponse<String> admitted = send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + ADMIN_TOKEN));
        assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(200);
        assertThat(target.resolve("quantbot.duckdb")).exists();
    }

    @Test
    void aCrossSiteRequestIsRefusedEvenWithAValidToken() throws Exception {
        Path target = dir.resolve("b2");
        // What a web page can send without a preflight: a simple POST with a form content type; the browser adds Origin.
        HttpResponse<String> form = send(post(backupUri(target), "Origin", "https://evil.example", "Content-Type", "application/x-www-form-urlencoded"));
        assertThat(form.statusCode()).isEqualTo(403);
        assertThat(form.body()).contains("Origin");
        assertThat(send(post(backupUri(target), "Origin", "null", "Content-Type", "text/plain")).statusCode()).isEqualTo(403);
        // Even a request carrying everything else is refused when a page sent it.
        assertThat(send(post(backupUri(target), "Origin", "http://127.0.0.1:" + daemon.httpPort(), HttpOpsServer.ADMIN_HEADER, "1",
                "Authorization", "Bearer " + ADMIN_TOKEN)).statusCode()).isEqualTo(403);
        // No admin header: a plain form post (no Origin, e.g. from an old browser) is refused too.
        assertThat(send(post(backupUri(target), "Authorization", "Bearer " + ADMIN_TOKEN, "Content-Type", "text/plain")).statusCode()).isEqualTo(403);
        assertThat(send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "yes", "Authorization", "Bearer " + ADMIN_TOKEN)).statusCode()).isEqualTo(403);
        assertThat(send(HttpRequest.newBuilder(URI.create(backupUri(target))).GET().header(HttpOpsServer.ADMIN_HEADER, "1")
                .header("Authorization", "Bearer " + ADMIN_TOKEN)).statusCode()).isEqualTo(405);
        assertThat(target).doesNotExist();
    }

    @Test
    void aSymlinkIntoTheDataDirIsFollowedAndRefused() throws Exception {
        List<Path> before = lakeFiles();
        Files.createSymbolicLink(dir.resolve("to-lake"), dir.resolve("data/lake"));
        Files.createSymbolicLink(dir.resolve("to-data"), dir.resolve("data"));
        Files.createDirectories(dir.resolve("nested"));
        Files.createSymbolicLink(dir.resolve("nested/deeper"), dir.resolve("to-lake"));
        for (Path target : List.of(dir.resolve("to-lake/copy"), dir.resolve("to-data/copy"), dir.resolve("to-lake/a/b/c"),
                dir.resolve("nested/deeper/x"), dir.resolve("to-data/staging/x"), dir.resolve("data/lake/../elsewhere"))) {
            HttpResponse<String> response = send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + ADMIN_TOKEN));
            assertThat(response.statusCode()).as("%s: %s", target, response.body()).isEqualTo(400);
            assertThat(response.body()).as("%s", target).containsAnyOf("PATH_NOT_ALLOWED");
        }
        assertThat(lakeFiles()).containsExactlyInAnyOrderElementsOf(before);
        assertThat(dir.resolve("data/lake/copy")).doesNotExist();
        assertThat(dir.resolve("data/copy")).doesNotExist();
        assertThat(dir.resolve("data/lake/a")).doesNotExist();
        assertThat(dir.resolve("data/elsewhere")).doesNotExist();
        // A symlink to a folder outside the data dir is fine: the backup lands where the link points.
        Files.createDirectories(dir.resolve("real-backups"));
        Files.createSymbolicLink(dir.resolve("to-backups"), dir.resolve("real-backups"));
        HttpResponse<String> ok = send(post(backupUri(dir.resolve("to-backups/b3")), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + ADMIN_TOKEN));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(dir.resolve("real-backups/b3/quantbot.duckdb")).exists();
    }

    @Test
    void theBackupIsPrivateToTheDaemonsUser() throws Exception {
        Path target = dir.resolve("new-parent/deeper/b4");
        HttpResponse<String> ok = send(post(backupUri(target), HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + ADMIN_TOKEN));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        List<Path> files = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(target)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
                if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    assertThat(mode).as("folder %s", path).isEqualTo("rwx------");
                } else {
                    assertThat(mode).as("file %s", path).isEqualTo("rw-------");
                    files.add(path);
                }
            }
        }
        assertThat(files).anyMatch(path -> path.toString().endsWith(".parquet")).anyMatch(path -> path.endsWith("quantbot.duckdb"));
        for (Path created : List.of(dir.resolve("new-parent"), dir.resolve("new-parent/deeper"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).as("created parent %s", created).isEqualTo("rwx------");
        }
    }

    /** Sends a request line as given, without java.net.URI's checks, and returns the whole answer. */
    private String rawPost(String target) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", daemon.httpPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + HttpOpsServer.ADMIN_HEADER + ": 1\r\n"
                    + "Authorization: Bearer " + ADMIN_TOKEN + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void hostileTargetsAreA400WithAnAnswerAndLeaveNothing() throws Exception {
        String base = "http://127.0.0.1:" + daemon.httpPort() + "/admin/backup";
        String absolute = dir.resolve("hostile").toString();
        List<String> queries = List.of(
                "to=" + absolute + "%00evil",
                "to=%00",
                "to=" + absolute + "%0d%0aX-Injected:%201",
                "to=" + absolute + "%0a",
                "to=" + absolute + "%E2%80%AEfdp.exe",
                "to=" + absolute + "%E2%80%8B",
                "to=" + absolute + "%EF%BB%BF",
                "to=relative/folder",
                "to=./here",
                "to=" + absolute + "/../../etc",
                "to=",
                "to=%20%20%20",
                "to=%20" + absolute,
                "to=" + absolute + "/" + "a".repeat(300),
                "to=" + ("/" + "b".repeat(200)).repeat(25),
                "to=" + absolute + "&to=" + absolute + "2",
                "too=" + absolute,
                "to=" + absolute + "&x=1",
                "",
                "to=%C0%AF",
                "to=" + absolute + "%ED%A0%80");
        for (String query : queries) {
            String uri = base + (query.isEmpty() ? "" : "?" + query);
            HttpResponse<String> response = send(post(uri, HttpOpsServer.ADMIN_HEADER, "1", "Authorization", "Bearer " + ADMIN_TOKEN));
            assertThat(response.statusCode()).as("%s: %s", query, response.body()).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).as(query).startsWith("{\"error\":").doesNotContain("Exception").doesNotContain("\tat ");
        }
        // Escapes java.net.URI would refuse to build, sent as raw bytes.
        for (String query : List.of("to=" + absolute + "%ZZ", "to=" + absolute + "%", "to=" + absolute + "%0", "to=%u0000")) {
            String answer = rawPost("/admin/backup?" + query);
            assertThat(answer).as(query).startsWith("HTTP/1.1 400");
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(path -> path.getFileName().toString())).containsExactly("data");
        }
        // The server still answers after all that.
        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/healthz")).GET()).statusCode()).isEqualTo(200);
    }
}
