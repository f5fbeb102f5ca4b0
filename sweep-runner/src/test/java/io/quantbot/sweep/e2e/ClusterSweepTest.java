package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.quantbot.storage.client.FailedPreconditionException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.RunRowsWriter;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.ScenarioLeases;
import io.quantbot.sweep.remote.ScenarioOutcome;
import io.quantbot.sweep.remote.ScenarioShard;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.remote.SweepCheckpoints;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep spread over three daemons of one cluster (own processes, ports and data dirs; one PostgreSQL; one
 * warehouse), one of them killed with SIGKILL mid-sweep. Node 2's share is half done when it dies: some scenarios
 * sealed, one run still receiving rows, one finished (checkpointed) but waiting for the sweep's seal. The other nodes
 * finish the sweep: the dead node's runs are declared lost once their leases expire and their scenarios run again, so
 * every (scenario, call) result exists exactly once. Restarted, node 2 still serves what it had sealed. Skips without a
 * test PostgreSQL locally; fails under CI=true (TestPostgres).
 */
class ClusterSweepTest {
    private static final int CALLS = 60;
    private static final Duration START = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private TestPostgres.Database database;
    private final List<DaemonProcess> nodes = new ArrayList<>();
    private final List<QuantbotStorageClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        clients.forEach(QuantbotStorageClient::close);
        for (DaemonProcess node : nodes) {
            node.close();
        }
        if (database != null) {
            database.close();
        }
    }

    private DaemonProcess start(int node) throws Exception {
        List<String> args = new ArrayList<>(List.of(database.nodeArgs("node-" + node)));
        // One worker each: a shard loads the sweep's calls with a Query (coarse work); the sweep itself spawns none.
        args.addAll(List.of("--set", "cluster.run-lease=2s", "--set", "log.access=off", "--set", "python-worker.pool-size=1"));
        return DaemonProcess.start(dir.resolve("node-" + node), args.toArray(String[]::new)).awaitReady(START);
    }

    private static QuantbotStorageClient client(DaemonProcess node) {
        return QuantbotStorageClient.builder().target("127.0.0.1:" + node.grpcPort()).coarseDeadline(Duration.ofMinutes(3)).build();
    }

    @Test
    void aSweepOverThreeDaemonsCompletesExactlyOnceWhenOneIsKilledMidSweep() throws Exception {
        database = TestPostgres.newDatabase();
        for (int node = 0; node < 3; node++) {
            nodes.add(start(node));
            clients.add(client(nodes.get(node)));
        }
        Path snapshot = dir.resolve("node-0").resolve("imports").resolve("cluster-snapshot");
        new SnapshotGenerator(new SnapshotOptions(6, 1, CALLS, 3, 7, SnapshotOptions.DEFAULT_START_MILLIS, List.of(CandleInterval.ONE_MINUTE)))
                .generate(snapshot);
        clients.get(0).artifacts().importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(snapshot.toString())
                .setSnapshotName("cluster-snapshot").build());

        SweepSpec spec = new SweepSpecLoader().parse("""
                sweep_id: cluster-sweep
                calls: {snapshot: cluster-snapshot}
                intervals: [1m]
                entry_lags: [0s, 1m, 2m]
                overlay_sets:
                  - {name: tp50_sl20, overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]}
                  - {name: tr20, overlays: [{type: trailing_stop, pct: 20}]}
                  - {name: hold, overlays: []}
                  - {name: sl10, overlays: [{type: stop_loss, pct: 10}]}
                chunk_rows: 20
                parallelism: 2
                """, "cluster.yaml");
        List<String> ids = spec.scenarios().stream().map(Scenario::id).toList();
        assertThat(ids).hasSize(12);
        List<String> shard0 = ids.subList(0, 4);
        List<String> shard1 = ids.subList(4, 8);
        List<String> shard2Done = ids.subList(8, 10);
        String running = ids.get(10);
        String deferred = ids.get(11);

        // Nodes 0 and 1 run their shares while node 2 runs the first half of its own to the end (sealed there).
        List<CompletableFuture<ScenarioShard.Result>> shards = List.of(
                shard(spec, 0, shard0), shard(spec, 1, shard1), shard(spec, 2, shard2Done));
        ScenarioShard.Result node2Sealed = shards.get(2).get(5, TimeUnit.MINUTES);
        assertThat(node2Sealed.outcomes()).hasSize(2).allMatch(ScenarioOutcome::succeeded);

        // Node 2's attempt at the rest is cut short by SIGKILL: one run still receiving rows, one finished with DEFER
        // (waiting for the sweep's seal) and already checkpointed as done.
        QuantbotStorageClient victim = clients.get(2);
        Run partial = create(victim, spec, running);
        try (RunRowsWriter rows = victim.artifacts().newRunRowsWriter(partial.getRunId())) {
            rows.write(RowChunks.chunk(0, 20));
            rows.finish();
        }
        Run waiting = create(victim, spec, deferred);
        try (RunRowsWriter rows = victim.artifacts().newRunRowsWriter(waiting.getRunId())) {
            rows.write(RowChunks.chunk(0, CALLS));
            rows.finish();
        }
        victim.artifacts().finishRun(FinishRunRequest.newBuilder().setRunId(waiting.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                .setSeal(SealMode.SEAL_MODE_DEFER).build());
        new SweepCheckpoints(victim.state()).recordAll(spec.sweepId(),
                List.of(new SweepCheckpoints.Checkpoint(deferred, waiting.getRunId(), CALLS, 0, OptionalDouble.empty())), System.currentTimeMillis());
        nodes.get(2).kill();

        // The sweep is finished on node 0: the dead node's scenarios wait for its leases to expire, then run again.
        ScenarioShard.Result rerun = shardOn(spec, 0, List.of(shard2Done.get(0), shard2Done.get(1), running, deferred))
                .get(5, TimeUnit.MINUTES);
        assertThat(rerun.outcomes()).extracting(ScenarioOutcome::scenarioId).containsExactlyInAnyOrder(running, deferred);
        assertThat(rerun.outcomes()).allMatch(ScenarioOutcome::succeeded);
        assertThat(rerun.verified()).extracting(SweepCheckpoints.Checkpoint::scenarioId).containsExactlyInAnyOrderElementsOf(shard2Done);
        for (CompletableFuture<ScenarioShard.Result> shard : shards.subList(0, 2)) {
            assertThat(shard.get(5, TimeUnit.MINUTES).outcomes()).hasSize(4).allMatch(ScenarioOutcome::succeeded);
        }

        // Exactly one SUCCEEDED run per scenario; the two cut short are LOST.
        List<Run> runs = clients.get(1).artifacts().listRuns(spec.sweepId()).toList();
        Map<RunStatus, List<Run>> byStatus = runs.stream().collect(Collectors.groupingBy(Run::getStatus));
        assertThat(byStatus.get(RunStatus.RUN_STATUS_SUCCEEDED)).extracting(Run::getScenarioId).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(byStatus.get(RunStatus.RUN_STATUS_LOST)).extracting(Run::getRunId)
                .containsExactlyInAnyOrder(partial.getRunId(), waiting.getRunId());

        // Every (scenario, call) result exists exactly once across the sweep's sealed files in the shared warehouse.
        List<Artifact> sealed = Sweeps.sealed(clients.get(1), spec.sweepId());
        StringBuilder files = new StringBuilder();
        for (Artifact artifact : sealed) {
            files.append(files.length() == 0 ? "" : ", ").append('\'').append(database.warehouse().resolve(artifact.getPath())).append('\'');
        }
        try (Connection duckdb = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = duckdb.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*), count(DISTINCT (scenario_id, call_id)), count(DISTINCT scenario_id),"
                        + " count(*) FILTER (WHERE run_id IN ('" + partial.getRunId() + "', '" + waiting.getRunId() + "'))"
                        + " FROM read_parquet([" + files + "])")) {
            result.next();
            assertThat(result.getLong(1)).as("rows").isEqualTo((long) ids.size() * CALLS);
            assertThat(result.getLong(2)).as("distinct (scenario, call)").isEqualTo((long) ids.size() * CALLS);
            assertThat(result.getLong(3)).isEqualTo(ids.size());
            assertThat(result.getLong(4)).as("rows of the lost runs").isZero();
        }

        // Node 2 restarts on its data dir: what it sealed before dying is intact and served; its lost runs are refused.
        nodes.set(2, start(2));
        QuantbotStorageClient restarted = client(nodes.get(2));
        clients.set(2, restarted);
        for (ScenarioOutcome outcome : node2Sealed.outcomes()) {
            Run run = restarted.artifacts().getRun(outcome.runId().orElseThrow()).orElseThrow();
            assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
            assertThat(run.getRowCount()).isEqualTo(CALLS);
            Artifact artifact = restarted.artifacts().getArtifact(run.getResultArtifactId()).orElseThrow();
            Path file = database.warehouse().resolve(artifact.getPath());
            assertThat(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(file))))
                    .as("the sealed file's bytes are the ones the catalog registered").isEqualTo(artifact.getFileHash());
        }
        FailedPreconditionException lost = catchThrowableOfType(FailedPreconditionException.class, () -> {
            try (RunRowsWriter rows = restarted.artifacts().newRunRowsWriter(partial.getRunId(), 2)) {
                rows.write(RowChunks.chunk(20, 20));
                rows.finish();
            }
        });
        assertThat(lost.reason()).isEqualTo("RUN_LOST");
    }

    private static Run create(QuantbotStorageClient client, SweepSpec spec, String scenario) {
        return client.artifacts().createRun(CreateRunRequest.newBuilder().setSweepId(spec.sweepId()).setScenarioId(scenario)
                .setIdempotencyKey(SweepCheckpoints.key(spec.sweepId(), scenario)).build()).getRun();
    }

    private CompletableFuture<ScenarioShard.Result> shard(SweepSpec spec, int node, List<String> scenarios) {
        return shardOn(spec, node, scenarios);
    }

    /** One shard (a Spark task, say) run through node {@code node}, with the attempt fence in the cluster's StatePort. */
    private CompletableFuture<ScenarioShard.Result> shardOn(SweepSpec spec, int node, List<String> scenarios) {
        QuantbotStorageClient client = clients.get(node);
        return CompletableFuture.supplyAsync(() -> {
            try (ScenarioLeases leases = new ScenarioLeases(client.state(), "shard-on-node-" + node + "-" + System.nanoTime(), Duration.ofSeconds(5))) {
                Artifact alerts = CallsArtifacts.resolve(client.artifacts(), spec.calls());
                SweepCalls calls = new SweepCalls(CallsArtifacts.load(client.artifacts(), alerts));
                SweepMetadata metadata = new SweepMetadata(RunnerBuild.current(), SweepMetadata.specHash(spec), "test", "test", 0,
                        spec.calls().describe(), alerts.getId(), alerts.getContentHash());
                return new ScenarioShard(client, spec, alerts.getId(), metadata, calls, new SdkCandleSource(client.artifacts()), leases, 2)
                        .run(scenarios);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
