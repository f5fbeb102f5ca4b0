package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardCalculator;
import io.quantbot.sweep.leaderboard.LeaderboardRow;
import io.quantbot.sweep.local.LocalSweep;
import io.quantbot.sweep.local.LocalSweepResult;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.RowChunks;
import io.quantbot.sweep.remote.SweepCheckpoints;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.snapshot.Snapshot;
import io.quantbot.sweep.snapshot.SnapshotCandleSource;
import io.quantbot.sweep.snapshot.SnapshotReader;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} end to end through a real daemon with real Python workers, on a small generated snapshot:
 * rows per run and in total, leaderboards against the in-memory calculation, zero spawns, resume after an
 * interrupt, a half-written run, a failed run retried.
 */
@Tag("python")
class DaemonSweepTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SNAPSHOT = "e2e";
    private static final int CALLS = 40;

    private static SharedDaemon daemon;
    private static Path snapshotFolder;

    @TempDir
    Path temporary;

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = SharedDaemon.get();
        snapshotFolder = daemon.importSnapshot(SNAPSHOT, 12, 1, CALLS, 5, 7);
    }

    private static String spec(String sweepId, int overlaySets, int chunkRows) {
        StringBuilder yaml = new StringBuilder("""
                sweep_id: %s
                calls: {snapshot: %s}
                intervals: [1m, 5m]
                entry_lags: [0s, 1m]
                time_frame: 6h
                chunk_rows: %d
                parallelism: 2
                overlay_sets:
                """.formatted(sweepId, SNAPSHOT, chunkRows));
        String[] sets = {
            "{name: tp50_sl20, overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]}",
            "{name: tr20, overlays: [{type: trailing_stop, pct: 20}]}",
            "{name: hold, overlays: []}",
            "{name: tx1h, overlays: [{type: time_exit, after: 1h}]}",
            "{name: tp25_sl10, overlays: [{type: take_profit, pct: 25}, {type: stop_loss, pct: 10}]}",
            "{name: tp100_tr30_tx3h, overlays: [{type: take_profit, pct: 100}, {type: trailing_stop, pct: 30}, "
                + "{type: time_exit, after: 3h}]}",
        };
        for (int index = 0; index < overlaySets; index++) {
            yaml.append("  - ").append(sets[index]).append('\n');
        }
        return yaml.toString();
    }

    @Test
    void run_writes_one_sealed_run_per_scenario_with_every_row_once_and_leaderboards_that_match_the_local_ones()
            throws Exception {
        String sweepId = "e2e-run";
        Path file = Sweeps.writeSpec(temporary, sweepId, spec(sweepId, 3, 16));
        QuantbotStorageClient client = daemon.client();
        long spawnsBefore = daemon.spawnCount();
        Map<String, Long> callsBefore = runCalls();

        Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress",
                "--output", "json", "--top", "0", "--leaderboard", "by_overlay,by_lag_interval,by_caller,by_scenario,overall");
        Map<String, Long> callsAfter = runCalls();

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.err()).contains("sweep e2e-run: 12 scenarios × 40 calls = 480 backtests; none done before")
                .contains("python worker spawns during sweep: 0")
                .containsPattern("report: /\\S+\\.html");
        assertThat(result.err().lines().filter(line -> line.matches("\\[\\s*\\d+/12\\] ok .*"))).hasSize(12);
        assertThat(daemon.spawnCount()).isEqualTo(spawnsBefore);

        // One run per scenario, each with one row per call, sealed in one wave per interval.
        List<Run> runs = Sweeps.runs(client, sweepId);
        assertThat(runs).hasSize(12);
        // Run and sweep metadata: the runner's build, the spec hash, the daemon, the calls snapshot.
        JsonNode stored = JSON.readTree(client.state().get(SweepMetadata.NAMESPACE, sweepId).orElseThrow().getValue().getJson());
        String specHash = SweepMetadata.specHash(new SweepSpecLoader(1).load(file));
        assertThat(stored.get("spec_hash").asText()).isEqualTo(specHash).hasSize(64);
        assertThat(stored.get("daemon_version").asText()).isEqualTo(client.artifacts().getServerInfo().getVersion()).isNotEmpty();
        assertThat(stored.get("runner_git_sha").asText()).matches("[0-9a-f]{40}|unknown");
        assertThat(stored.get("runner_version").asText()).isEqualTo(RunnerBuild.current().version());
        assertThat(stored.get("calls_content_hash").asText()).hasSize(64);
        for (Run run : runs) {
            JsonNode metadata = JSON.readTree(run.getParamsJson()).get("metadata");
            assertThat(metadata).isEqualTo(stored);
        }
        assertThat(result.err()).contains("spec hash " + specHash.substring(0, 12));
        assertThat(runs).allSatisfy(run -> {
            assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
            assertThat(run.getRowCount()).isEqualTo(CALLS);
            assertThat(run.getCommittedChunkSeq()).isEqualTo(3);
            assertThat(run.getSummaryMap()).containsEntry("rows", (double) CALLS).containsKey("total_net_pnl_usd");
            assertThat(run.getInputArtifactIdsList()).hasSize(1);
            assertThat(run.getIdempotencyKey()).isEqualTo(sweepId + "/" + run.getScenarioId());
        });
        assertThat(runs.stream().map(Run::getScenarioId).distinct()).hasSize(12);
        assertThat(runs.stream().map(Run::getResultArtifactId).distinct().toList()).hasSize(2).doesNotContain("");
        List<Artifact> sealed = Sweeps.sealed(client, sweepId);
        assertThat(sealed).hasSize(2);
        assertThat(sealed.stream().mapToLong(Artifact::getRowCount).sum()).isEqualTo(12 * CALLS);
        JsonNode totals = JSON.readTree(Sweeps.queryResults(client, sweepId,
                "SELECT count(*) AS n, count(DISTINCT run_id || '/' || call_id) AS d, count(DISTINCT scenario_id) AS s, "
                        + "count(*) FILTER (WHERE sweep_id = 'e2e-run') AS own FROM r")).get(0);
        assertThat(totals.get("n").asLong()).isEqualTo(12 * CALLS);
        assertThat(totals.get("d").asLong()).isEqualTo(12 * CALLS);
        assertThat(totals.get("s").asLong()).isEqualTo(12);
        assertThat(totals.get("own").asLong()).isEqualTo(12 * CALLS);
        assertThat(client.state().list(SweepCheckpoints.NAMESPACE, sweepId + "/").count()).isEqualTo(12);
        // Few round trips per run: per wave (one per interval here) one BatchCreateRuns, one BatchFinishRuns and one BatchSet of
        // checkpoints for its runs but the last, and one BatchFinishRuns (SWEEP: the seal) and one BatchSet for the last;
        // one AppendRunRows stream per run; no single CreateRun or FinishRun.
        Map<String, Long> served = new HashMap<>();
        callsAfter.forEach((method, count) -> served.put(method, count - callsBefore.get(method)));
        assertThat(served).containsEntry("ArtifactPort/CreateRun", 0L).containsEntry("ArtifactPort/FinishRun", 0L)
                .containsEntry("ArtifactPort/BatchCreateRuns", 2L).containsEntry("ArtifactPort/BatchFinishRuns", 4L)
                .containsEntry("ArtifactPort/AppendRunRows", 12L).containsEntry("StatePort/BatchSet", 4L);

        // The daemon's leaderboards (AnalyzeSweep over the sealed rows) equal the in-memory calculation.
        Map<String, Leaderboard> local = localLeaderboards(file);
        JsonNode printed = JSON.readTree(result.out()).get("leaderboards");
        assertThat(printed).hasSize(5);
        for (JsonNode board : printed) {
            Leaderboard expected = local.get(board.get("name").asText());
            assertThat(board.get("rows")).as(board.get("name").asText()).hasSize(expected.rows().size());
            Map<List<String>, LeaderboardRow> byKeys = new HashMap<>();
            expected.rows().forEach(row -> byKeys.put(row.keys(), row));
            for (JsonNode row : board.get("rows")) {
                List<String> keys = JSON.convertValue(row.get("keys"), JSON.getTypeFactory().constructCollectionType(List.class, String.class));
                LeaderboardRow want = byKeys.get(keys);
                assertThat(want).as("%s %s", board.get("name"), keys).isNotNull();
                assertThat(row.get("count").asLong()).isEqualTo(want.count());
                assertThat(row.get("skipped").asLong()).isEqualTo(want.skipped());
                Map<String, Long> reasons = new TreeMap<>();
                row.get("skip_reasons").fields().forEachRemaining(reason -> reasons.put(reason.getKey(), reason.getValue().asLong()));
                assertThat(reasons).as("%s %s", board.get("name"), keys).isEqualTo(want.skipReasons());
                assertNumber(row.get("mean"), want.mean());
                assertNumber(row.get("p5"), want.p5());
                assertNumber(row.get("p50"), want.p50());
                assertNumber(row.get("p95"), want.p95());
                assertNumber(row.get("win_rate"), want.winRate());
            }
        }

        // The same sweep again: everything is skipped, nothing is written twice.
        Sweeps.Result again = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress", "--no-report");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("skipping 12 scenarios completed before, 0 to run")
                .contains("all 12 scenarios were completed before; nothing to run")
                .contains("python worker spawns during sweep: 0");
        assertThat(again.out()).contains("by_overlay (3 groups, by mean; net returns)");
        assertThat(Sweeps.runs(client, sweepId)).hasSize(12);
        assertThat(Sweeps.sealed(client, sweepId)).hasSize(2);
    }

    /** How many calls of each run-related method the shared daemon served so far. */
    private static Map<String, Long> runCalls() {
        Map<String, Long> calls = new HashMap<>();
        for (String method : List.of("ArtifactPort/CreateRun", "ArtifactPort/FinishRun", "ArtifactPort/BatchCreateRuns",
                "ArtifactPort/BatchFinishRuns", "ArtifactPort/AppendRunRows", "StatePort/BatchSet")) {
            calls.put(method, daemon.calls("quantbot.storage.v1." + method));
        }
        return calls;
    }

    private static void assertNumber(JsonNode actual, double expected) {
        if (Double.isNaN(expected)) {
            assertThat(actual.isNull()).as("NaN prints as null").isTrue();
        }
        else {
            assertThat(actual.asDouble()).isCloseTo(expected, within(1e-9));
        }
    }

    private static Map<String, Leaderboard> localLeaderboards(Path specFile) throws Exception {
        SweepSpec spec = new SweepSpecLoader().load(specFile);
        Snapshot snapshot = new SnapshotReader(2).read(snapshotFolder);
        LocalSweepResult result = new LocalSweep(spec).run(snapshot.calls(), new SnapshotCandleSource(snapshot),
                new ProgressReporter("backtests", 0, ProgressReporter.Mode.OFF, new PrintWriter(new StringWriter())));
        Map<String, Leaderboard> boards = new HashMap<>();
        for (String name : LeaderboardCalculator.NAMES) {
            boards.put(name, LeaderboardCalculator.compute(name, result.scenarios()));
        }
        return boards;
    }

    @Test
    void an_interrupted_sweep_resumes_where_it_stopped_without_duplicate_rows() throws Exception {
        String sweepId = "e2e-resume";
        Path file = Sweeps.writeSpec(temporary, sweepId, spec(sweepId, 6, 8));
        QuantbotStorageClient client = daemon.client();
        Thread runner = Thread.currentThread();
        AtomicInteger finished = new AtomicInteger();

        // Ctrl-C's path without the signal: the command's thread is interrupted after the 5th finished scenario.
        Sweeps.Result first = Sweeps.run(outcome -> {
            if (finished.incrementAndGet() == 5) {
                runner.interrupt();
            }
        }, "run", file.toString(), "--target", daemon.target(), "--no-progress", "--upload-streams", "4");
        Thread.interrupted();

        assertThat(first.code()).as(first.err()).isEqualTo(130);
        assertThat(first.err()).contains("Resume with:").containsPattern("-jar \\S+|-cp ")
                .contains(" run " + file + " --target " + daemon.target() + " --no-progress --upload-streams 4 --sweep-id "
                        + sweepId);
        long recorded = client.state().list(SweepCheckpoints.NAMESPACE, sweepId + "/").count();
        long okLines = first.err().lines().filter(line -> line.matches("\\[\\s*\\d+/24\\] ok .*")).count();
        assertThat(recorded).isGreaterThanOrEqualTo(5).isLessThan(24).isEqualTo(okLines);
        Matcher interrupted = Pattern.compile("interrupted: (\\d+) scenarios finished now and 0 before are recorded; (\\d+) left")
                .matcher(first.err());
        assertThat(interrupted.find()).as(first.err()).isTrue();
        assertThat(Long.parseLong(interrupted.group(1))).isEqualTo(recorded);
        // A wave's seal (its last run, finished with SWEEP) comes after the wave's other runs are finished and recorded,
        // and only if the sweep was not stopped by then: whatever got sealed before the interrupt is a recorded scenario's run.
        Set<String> recordedScenarios = client.state().list(SweepCheckpoints.NAMESPACE, sweepId + "/")
                .map(entry -> entry.getKey().substring(sweepId.length() + 1)).collect(Collectors.toSet());
        assertThat(Sweeps.runs(client, sweepId).stream().filter(run -> !run.getResultArtifactId().isEmpty()).map(Run::getScenarioId))
                .allSatisfy(scenario -> assertThat(recordedScenarios).contains(scenario));

        Sweeps.Result second = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress",
                "--upload-streams", "4", "--no-report");
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.err()).contains("skipping " + recorded + " scenarios completed before, " + (24 - recorded) + " to run")
                .contains("python worker spawns during sweep: 0");

        // Exactly one run per scenario (half-written ones were reused, not duplicated), every row exactly once.
        List<Run> runs = Sweeps.runs(client, sweepId);
        assertThat(runs).hasSize(24).allSatisfy(run -> {
            assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
            assertThat(run.getRowCount()).isEqualTo(CALLS);
            assertThat(run.getCommittedChunkSeq()).isEqualTo(5);
        });
        JsonNode totals = JSON.readTree(Sweeps.queryResults(client, sweepId,
                "SELECT count(*) AS n, count(DISTINCT run_id || '/' || call_id) AS d, count(DISTINCT scenario_id) AS s FROM r"))
                .get(0);
        assertThat(totals.get("n").asLong()).isEqualTo(24 * CALLS);
        assertThat(totals.get("d").asLong()).isEqualTo(24 * CALLS);
        assertThat(totals.get("s").asLong()).isEqualTo(24);
        assertThat(client.state().list(SweepCheckpoints.NAMESPACE, sweepId + "/").count()).isEqualTo(24);
    }

    @Test
    void a_half_written_run_gets_only_its_missing_chunks_and_a_failed_run_is_retried_as_a_new_run() throws Exception {
        String sweepId = "e2e-partial";
        Path file = Sweeps.writeSpec(temporary, sweepId, spec(sweepId, 2, 8));
        SweepSpec spec = new SweepSpecLoader().load(file);
        QuantbotStorageClient client = daemon.client();
        String alertsId = CallsArtifacts.resolve(client.artifacts(), spec.calls()).getId();

        // The same simulation the runner does, to send the first two chunks of scenario 0 the way a killed runner had.
        Snapshot snapshot = new SnapshotReader(2).read(snapshotFolder);
        LocalSweepResult local = new LocalSweep(spec).run(snapshot.calls(), new SnapshotCandleSource(snapshot),
                new ProgressReporter("backtests", 0, ProgressReporter.Mode.OFF, new PrintWriter(new StringWriter())));
        Scenario halfWritten = spec.scenarios().get(0);
        ScenarioResults halfResults = local.scenarios().get(0);
        Run partial = client.artifacts().createRun(CreateRunRequest.newBuilder()
                .setSweepId(sweepId).setScenarioId(halfWritten.id()).addInputArtifactIds(alertsId)
                .setIdempotencyKey(SweepCheckpoints.key(sweepId, halfWritten.id())).build()).getRun();
        client.artifacts().appendRunRows(partial.getRunId(), List.of(
                RowChunks.of(halfResults.chunk(0, spec.chunkRows())), RowChunks.of(halfResults.chunk(1, spec.chunkRows()))));
        Scenario failedBefore = spec.scenarios().get(1);
        Run failed = client.artifacts().createRun(CreateRunRequest.newBuilder()
                .setSweepId(sweepId).setScenarioId(failedBefore.id()).addInputArtifactIds(alertsId)
                .setIdempotencyKey(SweepCheckpoints.key(sweepId, failedBefore.id())).build()).getRun();
        client.artifacts().finishRun(FinishRunRequest.newBuilder().setRunId(failed.getRunId())
                .setStatus(RunStatus.RUN_STATUS_FAILED).setErrorMessage("killed").build());

        Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress", "--no-report");
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.err()).containsPattern("ok +" + Pattern.quote(halfWritten.id()) + " .*" + partial.getRunId()
                + " .*\\(resumed\\)");

        List<Run> runs = Sweeps.runs(client, sweepId);
        assertThat(runs).hasSize(spec.scenarioCount() + 1);
        Run resumed = runs.stream().filter(run -> run.getRunId().equals(partial.getRunId())).findFirst().orElseThrow();
        assertThat(resumed.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(resumed.getRowCount()).isEqualTo(CALLS);
        assertThat(resumed.getCommittedChunkSeq()).isEqualTo(5);
        List<Run> retried = runs.stream().filter(run -> run.getScenarioId().equals(failedBefore.id())).toList();
        assertThat(retried).extracting(Run::getStatus)
                .containsExactlyInAnyOrder(RunStatus.RUN_STATUS_FAILED, RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(retried.stream().filter(run -> run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED).findFirst().orElseThrow()
                .getIdempotencyKey()).isEqualTo(SweepCheckpoints.key(sweepId, failedBefore.id()) + "#2");

        // The sealed succeeded rows: one per scenario and call, the resumed run's rows equal the local simulation's.
        JsonNode totals = JSON.readTree(Sweeps.queryResults(client, sweepId,
                "SELECT count(*) AS n, count(DISTINCT run_id || '/' || call_id) AS d FROM r")).get(0);
        assertThat(totals.get("n").asLong()).isEqualTo((long) spec.scenarioCount() * CALLS);
        assertThat(totals.get("d").asLong()).isEqualTo((long) spec.scenarioCount() * CALLS);
        JsonNode resumedRows = JSON.readTree(Sweeps.queryResults(client, sweepId,
                "SELECT count(*) FILTER (WHERE tradeable) AS tradeable, sum(net_return) AS total FROM r WHERE run_id = '"
                        + partial.getRunId() + "'")).get(0);
        assertThat(resumedRows.get("tradeable").asLong()).isEqualTo(halfResults.summary().tradeable());
        assertThat(resumedRows.get("total").asDouble())
                .isCloseTo(halfResults.summary().meanNetReturn() * halfResults.summary().tradeable(), within(1e-9));
    }

    @Test
    void calls_that_were_never_imported_are_a_usage_error() throws Exception {
        Path file = Sweeps.writeSpec(temporary, "e2e-missing", spec("e2e-missing", 1, 8).replace("snapshot: " + SNAPSHOT,
                "snapshot: never-imported"));
        Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("no snapshot named 'never-imported' was imported");
        assertThat(Sweeps.runs(daemon.client(), "e2e-missing")).isEmpty();
    }
}
