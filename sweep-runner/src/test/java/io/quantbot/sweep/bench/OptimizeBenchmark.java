package io.quantbot.sweep.bench;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.sweep.cli.TestCommands;
import io.quantbot.sweep.optimize.OptimizeSpec;
import io.quantbot.sweep.optimize.OptimizeSpecLoader;
import io.quantbot.sweep.optimize.Optimizer;
import io.quantbot.sweep.simulation.Backtester;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.simulation.TradeCosts;
import io.quantbot.sweep.snapshot.Snapshot;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.snapshot.SnapshotReader;
import io.quantbot.sweep.snapshot.SnapshotCandleSource;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code sweep-runner optimize} on the demo data: 1,000 trials × 5 walk-forward folds over all 2,000 calls (one
 * group), through a real daemon (calls and candles over ArtifactPort, every batch recorded in StatePort, the trials
 * published as an artifact), for the random and the TPE sampler. Beside it, the baseline measured in the same run:
 * the same optimizer over the same calls and candles in memory, without the daemon, so the ratio is the cost of the
 * ports. Run: {@code mvn -q -B -o -pl sweep-runner test-compile exec:exec@optimize-bench}.
 */
public final class OptimizeBenchmark {
    private OptimizeBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path python = Path.of(System.getProperty("bench.python"));
        Path work = Files.createTempDirectory("optimize-bench-");
        Path daemonDir = work.resolve("daemon");
        Path snapshotFolder = daemonDir.resolve("imports").resolve("demo-42");
        SnapshotGenerator generator = new SnapshotGenerator(SnapshotOptions.defaults());
        generator.generate(snapshotFolder);
        System.out.printf(Locale.ROOT, "Optimize benchmark (%d cores, Java %s, load average %s)%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), Files.readString(Path.of("/proc/loadavg")).trim());
        try (TestingStorageDaemon storage = TestingStorageDaemon.builder().onDisk(daemonDir)
                .set("python-worker.pool-size", "2").set("python-worker.python", python.toString()).set("log.access", "off").build();
                QuantbotStorageClient client = QuantbotStorageClient.builder().target("127.0.0.1:" + storage.grpcPort())
                        .coarseDeadline(Duration.ofMinutes(5)).build()) {
            client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(snapshotFolder.toString())
                    .setSnapshotName("demo").build());
            ServerInfo before = client.artifacts().getServerInfo();
            for (String sampler : List.of("random", "tpe")) {
                Path spec = work.resolve("bench-" + sampler + ".yaml");
                Files.writeString(spec, """
                        calls: {snapshot: demo}
                        intervals: [1m]
                        entry_lags: [0s]
                        time_frame: 48h
                        parallelism: %d
                        optimize: {id: bench-%s, sampler: %s, trials: 1000, folds: 5, seed: 7, batch_size: 8, group_by: none}
                        """.formatted(Runtime.getRuntime().availableProcessors(), sampler, sampler));
                OptimizeSpec optimize = new OptimizeSpecLoader(new SweepSpecLoader()).load(spec);
                double baseline = inMemory(optimize, snapshotFolder);
                long start = System.nanoTime();
                TestCommands.Outcome outcome = TestCommands.optimize((group, done) -> {}, "optimize", spec.toString(), "--target",
                        "127.0.0.1:" + storage.grpcPort(), "--no-progress");
                double seconds = (System.nanoTime() - start) / 1e9;
                if (outcome.code() != 0) {
                    throw new IllegalStateException("optimize failed: " + outcome.err());
                }
                System.out.printf(Locale.ROOT, "%-6s through the daemon: 1,000 trials × 5 folds in %.2f s = %,.0f trials/s"
                                + " (%,.0f fold evaluations/s); in memory, no daemon: %.2f s = %,.0f trials/s; daemon/in-memory %.2f%n",
                        sampler, seconds, 1000 / seconds, 5000 / seconds, baseline, 1000 / baseline, baseline / seconds);
            }
            ServerInfo after = client.artifacts().getServerInfo();
            System.out.printf(Locale.ROOT, "python worker spawns during both optimizes: %d%n",
                    after.getWorkerSpawnCount() - before.getWorkerSpawnCount());
        }
    }

    /** The optimizer alone over the snapshot read from its files: the same calls, candles, settings and seed. */
    private static double inMemory(OptimizeSpec optimize, Path snapshotFolder) throws Exception {
        Snapshot snapshot = new SnapshotReader(optimize.sweep().parallelism()).read(snapshotFolder);
        SweepSimulator simulator = new SweepSimulator(optimize.sweep());
        List<Call> calls = new SweepCalls(snapshot.calls()).asList();
        List<CandleRequest> requests = new ArrayList<>(calls.size());
        for (Call call : calls) {
            requests.add(simulator.candleRequest(call, 0));
        }
        List<CandleSeries> series = new SnapshotCandleSource(snapshot).fetch(requests);
        var sweep = optimize.sweep();
        Optimizer optimizer = new Optimizer(new Backtester(new TradeCosts(sweep.takerFeeBps(), sweep.slippageBps(), sweep.notionalUsd()),
                sweep.timeFrameMillis(), sweep.entryRule()), optimize.space(), calls, series, sweep.entryLagsMillis().get(0), optimize.folds());
        ExecutorService executor = Executors.newFixedThreadPool(sweep.parallelism());
        try {
            long start = System.nanoTime();
            optimizer.run(optimize.newSampler(), new Optimizer.Settings(optimize.trials(), optimize.batchSize(), optimize.pruneAfterTrials()),
                    executor, List.of());
            return (System.nanoTime() - start) / 1e9;
        }
        finally {
            executor.shutdownNow();
        }
    }
}
