package io.quantbot.spark;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.sweep.engine.SweepEngine;
import io.quantbot.sweep.engine.SweepJob;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.remote.Phase;
import io.quantbot.sweep.remote.RemoteSweepResult;
import io.quantbot.sweep.remote.ScenarioOutcome;
import io.quantbot.sweep.remote.SweepCheckpoints;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.spec.Scenario;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code run --engine spark}: the driver expands the sweep's grid, leaves out the scenarios completed before (their
 * StatePort checkpoints), cuts the rest into shards of one interval each and runs one Spark task per shard
 * ({@link ShardTask}); every task writes through the client SDK only, to its daemon target. Exactly once comes from the
 * run model (idempotent CreateRun keys, chunk sequence numbers, FinishRun) plus the per-scenario lease
 * ({@link io.quantbot.sweep.remote.ScenarioLeases}); a retried or speculative task finds its scenarios done and only
 * verifies them.
 *
 * <p>Settings ({@code --engine-option KEY=VALUE}): {@code master} (also {@code --master}), {@code shard-scenarios}
 * (scenarios per task; default: the scenarios to run over twice Spark's default parallelism), {@code lease-ttl-ms}
 * (default 30000), {@code upload-streams} (concurrent uploads per task; default 4) and any {@code spark.*} key.
 */
public final class SparkSweepEngine implements SweepEngine {
    static final long DEFAULT_LEASE_TTL_MILLIS = 30_000;
    static final int DEFAULT_TASK_UPLOAD_STREAMS = 4;

    @Override
    public String name() {
        return "spark";
    }

    @Override
    public RemoteSweepResult run(SweepJob job, List<Call> calls, SweepListener listener, PrintWriter err)
            throws InterruptedException {
        long start = System.nanoTime();
        Map<String, String> options = new java.util.LinkedHashMap<>(job.engineOptions());
        List<Scenario> scenarios = job.spec().scenarios();
        Map<String, SweepCheckpoints.Checkpoint> completed;
        try (QuantbotStorageClient client = connect(job)) {
            completed = new SweepCheckpoints(client.state()).completed(job.spec().sweepId());
        }
        List<Scenario> todo = scenarios.stream().filter(scenario -> !completed.containsKey(scenario.id())).toList();
        int skipped = scenarios.size() - todo.size();
        err.println(String.format(Locale.ROOT, "sweep %s: %d scenarios × %,d calls = %,d backtests; %s",
                job.spec().sweepId(), scenarios.size(), calls.size(), (long) scenarios.size() * calls.size(),
                skipped == 0 ? "none done before"
                        : "skipping " + skipped + " scenario" + (skipped == 1 ? "" : "s") + " completed before, "
                                + todo.size() + " to run"));
        err.flush();
        if (todo.isEmpty()) {
            return new RemoteSweepResult(job.spec().sweepId(), scenarios.size(), skipped, List.of(), false, 0, 0,
                    Duration.ofNanos(System.nanoTime() - start), Duration.ZERO, Map.of());
        }

        SparkConf conf = new SparkConf().setAppName("quantbot sweep " + job.spec().sweepId());
        String master = options.remove("master");
        if (master != null) {
            conf.setMaster(master);
        }
        else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        long leaseTtl = Long.parseLong(options.getOrDefault("lease-ttl-ms", Long.toString(DEFAULT_LEASE_TTL_MILLIS)));
        options.remove("lease-ttl-ms");
        int uploadStreams = Integer.parseInt(options.getOrDefault("upload-streams", Integer.toString(
                Math.min(job.uploadStreams(), DEFAULT_TASK_UPLOAD_STREAMS))));
        options.remove("upload-streams");
        String perShardOption = options.remove("shard-scenarios");
        for (Map.Entry<String, String> entry : options.entrySet()) {
            if (!entry.getKey().startsWith("spark.")) {
                throw new IllegalArgumentException("unknown --engine-option " + entry.getKey()
                        + " (master, shard-scenarios, lease-ttl-ms, upload-streams or spark.*)");
            }
            conf.set(entry.getKey(), entry.getValue());
        }

        ShardJob shardJob = ShardJob.of(job, leaseTtl, uploadStreams);
        JavaSparkContext spark = new JavaSparkContext(conf);
        try {
            int perShard = perShardOption != null ? Integer.parseInt(perShardOption)
                    : Math.max(1, (todo.size() + 2 * spark.defaultParallelism() - 1) / (2 * spark.defaultParallelism()));
            List<Shard> shards = Shard.plan(todo, perShard);
            err.println(String.format(Locale.ROOT,
                    "spark %s, master %s: %d tasks of up to %d scenarios (one interval each) over %d daemon target%s %s",
                    spark.version(), spark.master(), shards.size(), perShard, shardJob.targets().size(),
                    shardJob.targets().size() == 1 ? "" : "s", String.join(",", shardJob.targets())));
            err.flush();
            ProgressReporter progress = new ProgressReporter("backtests", (long) todo.size() * calls.size(),
                    job.progressMode(), err);
            LongAccumulator backtests = spark.sc().longAccumulator("quantbot.backtests");
            DriverProgress tasks = new DriverProgress(progress, backtests, shards.size());
            spark.sc().addSparkListener(tasks);
            JavaFutureAction<List<ShardReport>> action = spark.parallelize(shards, shards.size())
                    .map(new ShardTask(shardJob, backtests))
                    .collectAsync();
            List<ShardReport> reports;
            try {
                reports = action.get();
            }
            catch (InterruptedException e) {
                action.cancel(true);
                progress.finish();
                err.println("interrupted: the Spark job was cancelled; finished scenarios are recorded");
                return new RemoteSweepResult(job.spec().sweepId(), scenarios.size(), skipped, List.of(), true, 0, 0,
                        Duration.ofNanos(System.nanoTime() - start), Duration.ZERO, Map.of());
            }
            catch (ExecutionException e) {
                progress.finish();
                throw new IllegalStateException("the Spark job failed: " + rootMessage(e.getCause()), e.getCause());
            }
            tasks.awaitQuiet(Duration.ofSeconds(5));
            progress.finish();
            return result(job, scenarios.size(), skipped, reports, tasks, start, err);
        }
        finally {
            spark.stop();
        }
    }

    private static RemoteSweepResult result(SweepJob job, int scenarios, int skipped, List<ShardReport> reports,
            DriverProgress tasks, long start, PrintWriter err) {
        List<ScenarioOutcome> outcomes = new ArrayList<>();
        Map<Phase, Duration> phases = new EnumMap<>(Phase.class);
        int seals = 0;
        long series = 0;
        long batchCalls = 0;
        int verified = 0;
        Set<String> executors = new HashSet<>();
        for (ShardReport report : reports) {
            for (ShardReport.Done done : report.done()) {
                outcomes.add(done.outcome());
                verified += done.verified() ? 1 : 0;
            }
            seals += report.seals();
            series += report.candleSeries();
            batchCalls += report.candleBatchCalls();
            executors.add(report.executor());
            report.phases().forEach((phase, duration) -> phases.merge(phase, duration, Duration::plus));
        }
        long backtests = outcomes.stream().filter(ScenarioOutcome::succeeded).mapToLong(ScenarioOutcome::rows).sum();
        err.println(String.format(Locale.ROOT,
                "spark: %d tasks on %d executor%s; %d speculative copies; %d task attempts failed or were killed (%s), %d scenarios found "
                        + "completed by another attempt and verified; candles: %,d series in %,d BatchGetCandles calls "
                        + "(each series once per executor JVM)",
                reports.size(), executors.size(), executors.size() == 1 ? "" : "s", tasks.speculativeCopies(), tasks.failedAttempts(),
                tasks.describeFailures(), verified, series, batchCalls));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return new RemoteSweepResult(job.spec().sweepId(), scenarios, skipped, outcomes, false, seals, backtests, elapsed,
                elapsed, phases);
    }

    private static QuantbotStorageClient connect(SweepJob job) {
        QuantbotStorageClient.Builder builder = QuantbotStorageClient.builder().target(job.daemon().target());
        String envToken = System.getenv("QUANTBOT_TOKEN");
        if (job.daemon().tokenFile().isPresent()) {
            builder.bearerTokenFile(Path.of(job.daemon().tokenFile().get()));
        }
        else if (envToken != null && !envToken.isBlank()) {
            builder.bearerToken(envToken.strip());
        }
        job.daemon().tlsCa().ifPresent(ca -> builder.tls(Path.of(ca)));
        job.daemon().tlsAuthority().ifPresent(builder::overrideAuthority);
        return builder.build();
    }

    private static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return String.valueOf(cause.getMessage() == null ? cause : cause.getMessage());
    }

    static long millis(Duration duration) {
        return TimeUnit.NANOSECONDS.toMillis(duration.toNanos());
    }
}
