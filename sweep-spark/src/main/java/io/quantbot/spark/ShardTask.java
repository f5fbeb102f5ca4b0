package io.quantbot.spark;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.remote.ScenarioLeases;
import io.quantbot.sweep.remote.ScenarioShard;
import java.io.IOException;
import java.time.Duration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.util.LongAccumulator;

/**
 * One Spark task: the shard's scenarios through {@link ScenarioShard} (the runner's simulation and upload code), with
 * this JVM's client, calls and candle cache, under leases named after the task attempt.
 */
final class ShardTask implements Function<Shard, ShardReport> {
    private static final long serialVersionUID = 1L;

    private final ShardJob job;
    private final LongAccumulator backtests;

    ShardTask(ShardJob job, LongAccumulator backtests) {
        this.job = requireNonNull(job, "job is null");
        this.backtests = requireNonNull(backtests, "backtests is null");
    }

    @Override
    public ShardReport call(Shard shard) throws IOException, InterruptedException {
        TaskContext task = TaskContext.get();
        String attempt = task == null ? "shard " + shard.index()
                : String.format(java.util.Locale.ROOT, "stage %d task %d.%d (attempt %d) shard %d", task.stageId(),
                        task.partitionId(), task.taskAttemptId(), task.attemptNumber(), shard.index());
        String executor = org.apache.spark.SparkEnv.get() == null ? "?" : org.apache.spark.SparkEnv.get().executorId();
        String target = job.targetOf(shard.index());
        ExecutorSweep sweep = ExecutorSweep.of(job, target);
        JvmCandleCache.Counters counters = new JvmCandleCache.Counters();
        try (ScenarioLeases leases = new ScenarioLeases(sweep.client.state(), attempt + " on executor " + executor,
                Duration.ofMillis(job.leaseTtlMillis()))) {
            ScenarioShard.Result result = new ScenarioShard(sweep.client, sweep.spec, job.alertsArtifactId(), sweep.metadata,
                    sweep.calls, sweep.candles.forTask(counters), leases, job.uploadStreams()).run(shard.scenarioIds());
            backtests.add(result.backtests());
            return ShardReport.of(shard.index(), executor, result, counters.series().sum(), counters.batchCalls().sum());
        }
    }
}
