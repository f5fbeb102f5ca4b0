package io.quantbot.spark;

import io.quantbot.sweep.remote.Phase;
import io.quantbot.sweep.remote.ScenarioOutcome;
import io.quantbot.sweep.remote.ScenarioShard;
import io.quantbot.sweep.remote.SweepCheckpoints;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** What one task (the attempt whose result Spark kept) did, in a form that serializes back to the driver. */
record ShardReport(int shard, String executor, List<Done> done, int seals, long backtests, long candleSeries,
        long candleBatchCalls, Map<String, Long> phaseNanos) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * One scenario: written by this attempt ({@code verified = false}) or found completed by another attempt of the
     * same task and verified ({@code verified = true}).
     */
    record Done(String scenarioId, String runId, long rows, long tradeable, double meanNetReturn, boolean resumed,
            boolean verified, long elapsedNanos, String error) implements Serializable {
        private static final long serialVersionUID = 1L;

        ScenarioOutcome outcome() {
            return new ScenarioOutcome(scenarioId, Optional.ofNullable(runId), rows, tradeable,
                    Double.isNaN(meanNetReturn) ? OptionalDouble.empty() : OptionalDouble.of(meanNetReturn),
                    resumed || verified, Duration.ofNanos(elapsedNanos), Optional.ofNullable(error));
        }
    }

    static ShardReport of(int shard, String executor, ScenarioShard.Result result, long candleSeries, long candleBatchCalls) {
        List<Done> done = new ArrayList<>();
        for (ScenarioOutcome outcome : result.outcomes()) {
            done.add(new Done(outcome.scenarioId(), outcome.runId().orElse(null), outcome.rows(), outcome.tradeable(),
                    outcome.meanNetReturn().orElse(Double.NaN), outcome.resumed(), false, outcome.elapsed().toNanos(),
                    outcome.error().orElse(null)));
        }
        for (SweepCheckpoints.Checkpoint checkpoint : result.verified()) {
            done.add(new Done(checkpoint.scenarioId(), checkpoint.runId(), checkpoint.rows(), checkpoint.tradeable(),
                    checkpoint.meanNetReturn().orElse(Double.NaN), true, true, 0, null));
        }
        Map<String, Long> phases = new java.util.HashMap<>();
        result.phases().forEach((phase, duration) -> phases.put(phase.name(), duration.toNanos()));
        return new ShardReport(shard, executor, done, result.seals(), result.backtests(), candleSeries, candleBatchCalls, phases);
    }

    Map<Phase, Duration> phases() {
        Map<Phase, Duration> phases = new EnumMap<>(Phase.class);
        phaseNanos.forEach((name, nanos) -> phases.put(Phase.valueOf(name), Duration.ofNanos(nanos)));
        return phases;
    }
}
