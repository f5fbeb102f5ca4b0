package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.client.InternalException;
import io.quantbot.storage.client.NotFoundException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.sweep.remote.SweepRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sweeps list/show/report/compare} against a real daemon: two finished sweeps, one looked at while it
 * still runs, an unknown id (exit 4), and the report copied out through ReadArtifactFile (a tampered file
 * gives DATA_LOSS and leaves nothing behind).
 */
@Tag("python")
class SweepsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SNAPSHOT = "e2e-sweeps";

    private static SharedDaemon daemon;

    @TempDir
    static Path specs;

    @TempDir
    Path temporary;

    @BeforeAll
    static void sweeps() throws Exception {
        daemon = SharedDaemon.get();
        daemon.importSnapshot(SNAPSHOT, 8, 1, 30, 5, 11);
        run("e2e-sweeps-a", "[0s, 1m]", "50");
        run("e2e-sweeps-b", "[0s, 5m]", "100");
    }

    private static String spec(String sweepId, String lags, String takeProfit) {
        return """
                sweep_id: %s
                calls: {snapshot: %s}
                intervals: [1m, 5m]
                entry_lags: %s
                time_frame: 6h
                parallelism: 2
                fees: {taker_bps: 25}
                overlay_sets:
                  - {name: tp_sl, overlays: [{type: take_profit, pct: %s}, {type: stop_loss, pct: 20}]}
                  - {name: tr20, overlays: [{type: trailing_stop, pct: 20}]}
                  - {name: hold, overlays: []}
                """.formatted(sweepId, SNAPSHOT, lags, takeProfit);
    }

    private static void run(String sweepId, String lags, String takeProfit) throws Exception {
        Path file = Sweeps.writeSpec(specs, sweepId, spec(sweepId, lags, takeProfit));
        Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress", "--no-report");
        assertThat(result.code()).as(result.err()).isZero();
    }

    @Test
    void list_shows_each_recorded_sweep_with_its_spec_counts_and_status() throws Exception {
        Sweeps.Result json = Sweeps.run("sweeps", "list", "--target", daemon.target(), "--output", "json");
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode a = find(JSON.readTree(json.out()), "e2e-sweeps-a");
        assertThat(a.get("spec").asText()).isEqualTo("e2e-sweeps-a.yaml");
        assertThat(a.get("scenarios").asLong()).isEqualTo(12);
        assertThat(a.get("done").asLong()).isEqualTo(12);
        assertThat(a.get("backtests").asLong()).isEqualTo(12 * 30);
        assertThat(a.get("status").asText()).isEqualTo("succeeded");
        assertThat(a.get("started_utc").asText()).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d");

        Sweeps.Result table = Sweeps.run("sweeps", "list", "--target", daemon.target());
        assertThat(table.code()).isZero();
        assertThat(table.out()).contains("sweep_id").contains("e2e-sweeps-a").contains("e2e-sweeps-b").contains("succeeded");
        assertThat(table.out().lines()).allMatch(line -> line.length() <= 100);

        SweepRecords.SweepRecord record = new SweepRecords(daemon.client().state()).get("e2e-sweeps-b").orElseThrow();
        assertThat(record.specText()).contains("take_profit, pct: 100");
        assertThat(record.facts()).containsEntry("taker_fee_bps", "25").containsEntry("python_worker_spawns", "0")
                .containsEntry("entry_lags", "0s, 5m").containsKeys("sweep_ms", "analyze_ms", "started_at_ms", "finished_at_ms");
    }

    @Test
    void show_prints_the_leaderboards_again_with_sort_top_and_output() throws Exception {
        Sweeps.Result csv = Sweeps.run("sweeps", "show", "e2e-sweeps-a", "--target", daemon.target(), "--leaderboard", "by_scenario",
                "--top", "3", "--sort", "win_rate", "--output", "csv");
        assertThat(csv.code()).as(csv.err()).isZero();
        assertThat(csv.out().lines().toList()).hasSize(4).first().asString().startsWith("leaderboard,dimensions,keys,count,mean");
        double[] winRates = csv.out().lines().skip(1).mapToDouble(line -> Double.parseDouble(line.split(",")[8])).toArray();
        assertThat(winRates[0]).isGreaterThanOrEqualTo(winRates[1]);
        assertThat(winRates[1]).isGreaterThanOrEqualTo(winRates[2]);

        Sweeps.Result table = Sweeps.run("sweeps", "show", "e2e-sweeps-a", "--target", daemon.target());
        assertThat(table.code()).isZero();
        assertThat(table.out()).contains("by_overlay").contains("by_lag_interval").contains("by_caller").contains("tp_sl");
    }

    @Test
    void an_unknown_id_is_a_clear_error_with_exit_code_4() {
        for (String[] args : new String[][] {
            {"sweeps", "show", "no-such-sweep"}, {"sweeps", "report", "no-such-sweep"}, {"sweeps", "compare", "e2e-sweeps-a", "no-such-sweep"}}) {
            String[] full = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--target", daemon.target()))
                    .toArray(String[]::new);
            Sweeps.Result result = Sweeps.run(full);
            assertThat(result.code()).as(String.join(" ", args) + "\n" + result.err()).isEqualTo(4);
            assertThat(result.err()).contains("error: no sweep no-such-sweep").contains("sweeps list");
            assertThat(result.out()).isEmpty();
        }
        Sweeps.Result help = Sweeps.run("sweeps", "show", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Exit codes:").contains("4   no such sweep");
    }

    @Test
    void compare_puts_two_sweeps_side_by_side_with_deltas() throws Exception {
        Sweeps.Result json = Sweeps.run("sweeps", "compare", "e2e-sweeps-a", "e2e-sweeps-b", "--target", daemon.target(),
                "--leaderboard", "by_lag_interval", "--top", "0", "--output", "json");
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode rows = JSON.readTree(json.out());
        // lags 0s and 1m in A, 0s and 5m in B, two intervals: 0s in both, 1m only in A, 5m only in B
        assertThat(rows).hasSize(6);
        for (JsonNode row : rows) {
            assertThat(row.get("dimensions").asText()).isEqualTo("interval|lag");
            String lag = row.get("keys").asText().split("\\|")[1];
            if (lag.equals("0s")) {
                assertThat(row.get("delta_mean").asDouble())
                        .isCloseTo(row.get("mean_b").asDouble() - row.get("mean_a").asDouble(), org.assertj.core.data.Offset.offset(1e-12));
            }
            else {
                assertThat(row.get("delta_mean").isNull()).as(row.toString()).isTrue();
                assertThat(row.get(lag.equals("1m") ? "mean_b" : "mean_a").isNull()).as(row.toString()).isTrue();
            }
        }
        Sweeps.Result table = Sweeps.run("sweeps", "compare", "e2e-sweeps-a", "e2e-sweeps-b", "--target", daemon.target());
        assertThat(table.code()).isZero();
        assertThat(table.out()).contains("A = e2e-sweeps-a, B = e2e-sweeps-b").contains("delta_mean").contains("mean_a");
        assertThat(table.out().lines()).allMatch(line -> line.length() <= 100);
    }

    @Test
    void report_regenerates_the_report_with_the_recorded_spec_and_copies_it_out() throws Exception {
        Path out = temporary.resolve("copied.html");
        Sweeps.Result result = Sweeps.run("sweeps", "report", "e2e-sweeps-b", "--target", daemon.target(), "--out", out.toString());
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out().strip()).isEqualTo(out.toAbsolutePath().toString());
        String html = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(html).contains("take_profit, pct: 100").contains("python worker spawns").contains("functional ANOVA")
                .contains("Sweep e2e-sweeps-b (e2e-sweeps-b.yaml)");
        assertThat(Files.list(temporary)).containsExactly(out);

        Sweeps.Result pathOnly = Sweeps.run("sweeps", "report", "e2e-sweeps-b", "--target", daemon.target());
        assertThat(pathOnly.code()).isZero();
        Path onDaemon = Path.of(pathOnly.out().strip());
        assertThat(onDaemon).startsWith(daemon.dataDir()).isRegularFile();
    }

    @Test
    void read_artifact_file_refuses_a_tampered_file_and_leaves_nothing_behind() throws Exception {
        QuantbotStorageClient client = daemon.client();
        var report = client.artifacts().generateReport(GenerateReportRequest.newBuilder().setSweepId("e2e-sweeps-a").build());
        Path file = Path.of(report.getPath());
        Path copy = temporary.resolve("good.html");
        Artifact artifact = client.artifacts().readArtifactFile(report.getArtifact().getId(), copy);
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(file));
        assertThat(HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(copy))))
                .isEqualTo(artifact.getFileHash());

        byte[] original = Files.readAllBytes(file);
        byte[] tampered = original.clone();
        tampered[tampered.length / 2] ^= 1;
        file.toFile().setWritable(true);
        Files.write(file, tampered);
        try {
            Path target = temporary.resolve("tampered.html");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.artifacts().readArtifactFile(report.getArtifact().getId(), target))
                    // Whichever check sees it first (the lake's integrity check before serving, or the hash of the
                    // bytes as they stream), the client gets DATA_LOSS / FILE_CORRUPTED and no file.
                    .isInstanceOfSatisfying(InternalException.class, e -> {
                        assertThat(e.code()).isEqualTo(io.grpc.Status.Code.DATA_LOSS);
                        assertThat(e.reason()).isEqualTo("FILE_CORRUPTED");
                    });
            assertThat(target).doesNotExist();
            assertThat(Files.list(temporary)).containsExactly(copy);
        }
        finally {
            Files.write(file, original);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.artifacts().readArtifactFile("no-such-artifact", temporary.resolve("x")))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void a_sweep_still_running_is_listed_as_running_and_shown_with_what_is_sealed() throws Exception {
        String sweepId = "e2e-sweeps-running";
        Path file = Sweeps.writeSpec(specs, sweepId, spec(sweepId, "[0s, 1m, 5m]", "50"));
        AtomicInteger finished = new AtomicInteger();
        AtomicReference<Sweeps.Result> list = new AtomicReference<>();
        AtomicReference<Sweeps.Result> show = new AtomicReference<>();
        // Looked at from inside the sweep (its listener hears the 10th of 18 scenarios finish): it is running then.
        Sweeps.Result run = Sweeps.run(outcome -> {
            if (finished.incrementAndGet() == 10) {
                list.set(Sweeps.run("sweeps", "list", "--target", daemon.target(), "--output", "json"));
                show.set(Sweeps.run("sweeps", "show", sweepId, "--target", daemon.target(), "--output", "json"));
            }
        }, "run", file.toString(), "--target", daemon.target(), "--no-progress", "--no-report", "--upload-streams", "2");
        assertThat(run.code()).as(run.err()).isZero();

        assertThat(list.get().code()).as(list.get().err()).isZero();
        JsonNode running = find(JSON.readTree(list.get().out()), sweepId);
        assertThat(running.get("status").asText()).isEqualTo("running");
        assertThat(running.get("scenarios").asLong()).isEqualTo(18);
        assertThat(running.get("done").asLong()).isBetween(9L, 17L);

        assertThat(show.get().code()).as(show.get().err()).isZero();
        assertThat(show.get().err()).contains("sweep " + sweepId + " is still running").contains("of 18 scenarios done");
        assertThat(show.get().err().contains("no sealed results yet") || JSON.readTree(show.get().out()).has("leaderboards"))
                .as(show.get().out() + show.get().err()).isTrue();

        Sweeps.Result after = Sweeps.run("sweeps", "list", "--target", daemon.target(), "--output", "json");
        JsonNode finishedRow = find(JSON.readTree(after.out()), sweepId);
        assertThat(finishedRow.get("status").asText()).isEqualTo("succeeded");
        assertThat(finishedRow.get("done").asLong()).isEqualTo(18);
    }

    private static JsonNode find(JsonNode rows, String sweepId) {
        for (JsonNode row : rows) {
            if (row.get("sweep_id").asText().equals(sweepId)) {
                return row;
            }
        }
        throw new AssertionError("no row for " + sweepId + " in " + rows);
    }
}
