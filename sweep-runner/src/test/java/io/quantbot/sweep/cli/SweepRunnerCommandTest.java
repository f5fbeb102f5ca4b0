package io.quantbot.sweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SweepRunnerCommandTest {
    @TempDir
    Path temporary;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SweepRunnerCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "run", "demo", "generate-snapshot", "validate", "simulate-local"})
    void help_and_version_on_every_command_exit_0_and_document_exit_codes(String command) {
        String[] help = command.isEmpty() ? new String[] {"--help"} : new String[] {command, "--help"};
        Result helpResult = run(help);
        assertThat(helpResult.code()).isZero();
        assertThat(helpResult.out()).contains("Usage: sweep-runner").contains("Exit codes:").containsPattern("2 +bad usage or invalid sweep file");
        assertThat(helpResult.err()).isEmpty();

        String[] version = command.isEmpty() ? new String[] {"--version"} : new String[] {command, "--version"};
        Result versionResult = run(version);
        assertThat(versionResult.code()).isZero();
        assertThat(versionResult.out()).startsWith("sweep-runner ");
    }

    @Test
    void usage_errors_go_to_stderr_with_exit_2() {
        Result unknownOption = run("validate", "--frobnicate", "x.yaml");
        assertThat(unknownOption.code()).isEqualTo(2);
        assertThat(unknownOption.out()).isEmpty();
        assertThat(unknownOption.err()).contains("error: Unknown option: '--frobnicate'")
                .contains("Try 'sweep-runner validate --help'");

        Result noCommand = run();
        assertThat(noCommand.code()).isEqualTo(2);
        assertThat(noCommand.err()).contains("Missing required subcommand");

        Result missingFile = run("validate", temporary.resolve("nope.yaml").toString());
        assertThat(missingFile.code()).isEqualTo(2);
        assertThat(missingFile.err()).contains("does not exist");
    }

    @Test
    void validate_prints_the_scenario_count() {
        Result result = run("validate", "examples/demo-sweep.yaml");
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("scenarios: 96 (2 intervals × 4 entry lags × 12 overlay sets)")
                .containsPattern("sweep_id: sw-[0-9a-f]{12}");

        Result listed = run("validate", "--list", "examples/demo-sweep.yaml");
        assertThat(listed.out().lines().filter(line -> line.startsWith("i="))).hasSize(96);
    }

    @Test
    void validate_reports_every_problem_and_exits_2() throws Exception {
        Path spec = temporary.resolve("bad.yaml");
        Files.writeString(spec, """
                calls: {snapshot: demo}
                intervals: [1m, 3m]
                entry_lags: [0s]
                overlay_sets:
                  - overlays: [{type: stop_loss, pct: 0}]
                slipage_bps: 5
                """);
        Result result = run("validate", spec.toString());

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).contains("3 problems in " + spec)
                .contains("intervals[1]: unknown interval '3m'")
                .contains("overlay_sets[0].overlays[0].pct: must be > 0")
                .contains("slipage_bps: unknown key").contains("did you mean slippage_bps?");
    }

    @Test
    void generate_then_simulate_locally() throws Exception {
        Path snapshot = temporary.resolve("snapshot");
        Result generated = run("generate-snapshot", "--out", snapshot.toString(), "--tokens", "15", "--days", "1",
                "--calls", "120", "--callers", "6", "--seed", "5");
        assertThat(generated.code()).as(generated.err()).isZero();
        assertThat(generated.out()).isEmpty();
        assertThat(generated.err()).contains("wrote 15 tokens").contains("120 calls from 6 callers");
        assertThat(Files.readAllLines(snapshot.resolve("calls/calls.csv"))).hasSize(121);

        Result again = run("generate-snapshot", "--out", snapshot.toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("--force");
        assertThat(run("generate-snapshot", "--out", snapshot.toString(), "--tokens", "15", "--days", "1",
                "--calls", "120", "--callers", "6", "--seed", "5", "--force").code()).isZero();

        Result table = run("simulate-local", "--snapshot", snapshot.toString(), "--no-progress", "--top", "3",
                "examples/demo-sweep.yaml");
        assertThat(table.code()).as(table.err()).isZero();
        assertThat(table.out()).contains("by_overlay (top 3 of 12, by mean; net returns)")
                .contains("by_lag_interval (top 3 of 8").contains("by_caller (top 3 of 6");
        assertThat(table.out().lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(100));
        assertThat(table.err()).contains("simulated 11,520 backtests (96 scenarios × 120 calls)")
                .contains("backtests/s").doesNotContain("\r").doesNotContain("\u001b");

        Result json = run("simulate-local", "--snapshot", snapshot.toString(), "--no-progress", "--output", "json",
                "--leaderboard", "by_scenario", "--top", "0", "--sort", "win_rate", "--parallelism", "1",
                "examples/demo-sweep.yaml");
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode board = new ObjectMapper().readTree(json.out()).get("leaderboards").get(0);
        assertThat(board.get("name").asText()).isEqualTo("by_scenario");
        assertThat(board.get("rows")).hasSize(96);
        long total = 0;
        for (JsonNode row : board.get("rows")) {
            total += row.get("count").asLong() + row.get("skipped").asLong();
        }
        assertThat(total).isEqualTo(96L * 120);

        Result csv = run("simulate-local", "--snapshot", snapshot.toString(), "--no-progress", "--output", "csv",
                "examples/demo-sweep.yaml");
        assertThat(csv.out().lines().findFirst()).contains("leaderboard,dimensions,keys,count,mean,p5,p50,p95,win_rate,skipped,skip_reasons");

        Result badBoard = run("simulate-local", "--snapshot", snapshot.toString(), "--leaderboard", "by_moon",
                "examples/demo-sweep.yaml");
        assertThat(badBoard.code()).isEqualTo(2);
        assertThat(badBoard.err()).contains("unknown leaderboard 'by_moon'");
    }

    /** Issue 11 item 5: something that is not the daemon on the port is named as such (exit 3); a nonsense target is bad usage. */
    @Test
    void run_and_demo_exit_3_with_a_clear_message_when_the_target_is_not_a_daemon() throws Exception {
        com.sun.net.httpserver.HttpServer web = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        web.createContext("/", exchange -> {
            byte[] body = "hello\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        web.start();
        try (io.quantbot.storage.daemon.testing.TestingStorageDaemon daemon = io.quantbot.storage.daemon.testing.TestingStorageDaemon.start()) {
            String http = "127.0.0.1:" + web.getAddress().getPort();
            String opsPort = "127.0.0.1:" + daemon.httpPort();
            for (String target : java.util.List.of(http, opsPort)) {
                Result run = run("run", "examples/demo-sweep.yaml", "--target", target, "--no-progress");
                assertThat(run.code()).as(target).isEqualTo(3);
                assertThat(run.out()).isEmpty();
                assertThat(run.err()).as(target).contains("something listens at " + target + ", but it is not a quantbot storage daemon")
                        .contains("gRPC port (default 50051").doesNotContain("http2 exception\n");
                Result demo = run("demo", "--target", target, "--no-progress");
                assertThat(demo.code()).as(target).isEqualTo(3);
                assertThat(demo.err()).contains("is not a quantbot storage daemon");
            }
            // The daemon's gRPC port itself passes the probe (then the missing snapshot is the problem: a usage error, not 3).
            Result real = run("run", "examples/demo-sweep.yaml", "--target", "127.0.0.1:" + daemon.grpcPort(), "--no-progress");
            assertThat(real.err()).doesNotContain("not a quantbot storage daemon").contains("daemon ").contains(" at 127.0.0.1:" + daemon.grpcPort());
            assertThat(real.code()).isEqualTo(2);
        }
        finally {
            web.stop(0);
        }
        for (String nonsense : new String[] {"nonsense::", "localhost", "localhost:0", "localhost:99999", ":50051", "a b:1"}) {
            Result usage = run("run", "examples/demo-sweep.yaml", "--target", nonsense, "--no-progress");
            assertThat(usage.code()).as(nonsense).isEqualTo(2);
            assertThat(usage.err()).as(nonsense).contains("--target '" + nonsense + "' is not HOST:PORT");
        }
        assertThat(SweepOptionsAccess.accepts("dns:///daemon.example:50051")).isTrue();
        assertThat(SweepOptionsAccess.accepts("[::1]:50051")).isTrue();
    }

    @Test
    void run_and_demo_exit_3_when_no_daemon_answers_and_2_for_a_bad_sweep_file() throws Exception {
        // A port nothing listens on: bind one, note it, close it.
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String target = "127.0.0.1:" + port;
        Result run = run("run", "examples/demo-sweep.yaml", "--target", target, "--no-progress");
        assertThat(run.code()).isEqualTo(3);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("cannot reach the storage daemon at " + target)
                .contains("java -jar storage-daemon/target/storage-daemon.jar");
        Result demo = run("demo", "--target", target, "--no-progress");
        assertThat(demo.code()).isEqualTo(3);
        assertThat(demo.err()).contains("cannot reach the storage daemon at " + target);

        Path bad = temporary.resolve("bad-run.yaml");
        Files.writeString(bad, "calls: {snapshot: demo}\nintervals: [2m]\n");
        Result badSpec = run("run", bad.toString(), "--target", target);
        assertThat(badSpec.code()).isEqualTo(2);
        assertThat(badSpec.err()).contains("intervals[0]").contains("entry_lags: is required");
        assertThat(run("run", "examples/demo-sweep.yaml", "--top", "-1").code()).isEqualTo(2);
        assertThat(run("run", "examples/demo-sweep.yaml", "--sweep-id", "no spaces allowed").code()).isEqualTo(2);
        assertThat(run("run", "examples/demo-sweep.yaml", "--target", "").code()).isEqualTo(2);
    }
}
