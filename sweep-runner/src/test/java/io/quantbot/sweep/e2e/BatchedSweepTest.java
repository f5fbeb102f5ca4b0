package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.SweepCheckpoints;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's batched uploads against their unhappy paths: an item of a batch call the daemon refuses fails only its
 * scenario, and a daemon whose runs.max-batch is smaller than a wave still gets every run, in slices of its limit.
 */
@Tag("python")
class BatchedSweepTest {
    private static final int CALLS = 20;

    @TempDir
    Path temporary;

    private static String spec(String sweepId, String snapshot) {
        return """
                sweep_id: %s
                calls: {snapshot: %s}
                intervals: [1m, 5m]
                entry_lags: [0s, 1m, 5m]
                time_frame: 6h
                chunk_rows: 8
                parallelism: 2
                overlay_sets:
                  - {name: tp50_sl20, overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]}
                  - {name: hold, overlays: []}
                """.formatted(sweepId, snapshot);
    }

    @Test
    void an_item_the_daemon_refuses_fails_only_its_scenario() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        daemon.importSnapshot("batched", 8, 1, CALLS, 4, 11);
        String sweepId = "e2e-batch-refused";
        Path file = Sweeps.writeSpec(temporary, sweepId, spec(sweepId, "batched"));
        SweepSpec spec = new SweepSpecLoader().load(file);
        QuantbotStorageClient client = daemon.client();
        String alertsId = CallsArtifacts.resolve(client.artifacts(), spec.calls()).getId();
        // The idempotency key of one scenario already names a run of another scenario: the daemon answers that item with
        // the other scenario's run, which the runner refuses to use; the other items of the same BatchCreateRuns go on.
        Scenario victim = spec.scenarios().get(1);
        Scenario other = spec.scenarios().get(2);
        Run squatter = client.artifacts().createRun(CreateRunRequest.newBuilder().setSweepId(sweepId).setScenarioId(other.id())
                .addInputArtifactIds(alertsId).setIdempotencyKey(SweepCheckpoints.key(sweepId, victim.id())).build()).getRun();

        Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress", "--no-report");

        int scenarios = spec.scenarioCount();
        assertThat(result.code()).as(result.err()).isEqualTo(1);
        assertThat(result.err()).contains("FAILED  " + victim.id() + ": idempotency key " + SweepCheckpoints.key(sweepId, victim.id())
                + " belongs to run " + squatter.getRunId());
        assertThat(result.err().lines().filter(line -> line.matches("\\[\\s*\\d+/" + scenarios + "\\] ok .*"))).hasSize(scenarios - 1);
        assertThat(client.state().list(SweepCheckpoints.NAMESPACE, sweepId + "/").map(entry -> entry.getKey()))
                .hasSize(scenarios - 1).doesNotContain(SweepCheckpoints.key(sweepId, victim.id()));
        List<Run> runs = Sweeps.runs(client, sweepId);
        // Every scenario but the victim has its own succeeded run (the squatter stays as it was: RUNNING, untouched).
        assertThat(runs.stream().filter(run -> run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED).map(Run::getScenarioId).distinct())
                .hasSize(scenarios - 1).doesNotContain(victim.id());
        assertThat(runs.stream().filter(run -> run.getRunId().equals(squatter.getRunId())).findFirst().orElseThrow().getStatus())
                .isEqualTo(RunStatus.RUN_STATUS_RUNNING);
    }

    @Test
    void a_daemon_with_a_smaller_max_batch_gets_every_run_in_slices_of_its_limit() throws Exception {
        Path dataDir = Files.createTempDirectory("sweep-runner-batch-limit-");
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder()
                .onDisk(dataDir)
                .set("runs.max-batch", "2")
                .set("python-worker.pool-size", "1")
                .set("python-worker.python", TestingStorageDaemon.PYTHON.toString())
                .set("log.access", "off")
                .build();
                QuantbotStorageClient client = QuantbotStorageClient.builder().target("127.0.0.1:" + daemon.grpcPort())
                        .coarseDeadline(Duration.ofMinutes(3)).build()) {
            Path folder = dataDir.resolve("imports").resolve("limited");
            new SnapshotGenerator(new SnapshotOptions(6, 1, CALLS, 3, 5, SnapshotOptions.DEFAULT_START_MILLIS,
                    List.of(CandleInterval.ONE_MINUTE))).generate(folder);
            client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(folder.toString()).setSnapshotName("limited").build());
            String sweepId = "e2e-batch-limit";
            Path file = Sweeps.writeSpec(temporary, sweepId, spec(sweepId, "limited"));
            int scenarios = new SweepSpecLoader().load(file).scenarioCount();

            Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", "127.0.0.1:" + daemon.grpcPort(), "--no-progress",
                    "--no-report");

            assertThat(result.code()).as(result.err()).isZero();
            List<Run> runs = Sweeps.runs(client, sweepId);
            assertThat(runs).hasSize(scenarios).allSatisfy(run -> {
                assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
                assertThat(run.getRowCount()).isEqualTo(CALLS);
                assertThat(run.getResultArtifactId()).isNotEmpty();
            });
            assertThat(client.state().list(SweepCheckpoints.NAMESPACE, sweepId + "/").count()).isEqualTo(scenarios);
            // A wave's first BatchCreateRuns was refused whole (REQUEST_TOO_LARGE: nothing applied; once, or once per wave if
            // the second wave's began before the first's was answered), the rest came in slices of 2, finishes too.
            MeterRegistry registry = daemon.getInstance(MeterRegistry.class);
            assertThat(calls(registry, "BatchCreateRuns", "RESOURCE_EXHAUSTED")).isBetween(1L, 2L);
            assertThat(calls(registry, "BatchFinishRuns", "RESOURCE_EXHAUSTED")).isZero();
            assertThat(calls(registry, "BatchCreateRuns", "OK")).isEqualTo((long) scenarios / 2);
        }
        finally {
            try (var files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static long calls(MeterRegistry registry, String method, String code) {
        return registry.find("quantbot.grpc.server.calls").tag("method", "quantbot.storage.v1.ArtifactPort/" + method).tag("code", code)
                .timers().stream().mapToLong(Timer::count).sum();
    }
}
