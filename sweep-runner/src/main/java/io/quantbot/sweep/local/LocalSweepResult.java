package io.quantbot.sweep.local;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.SweepCalls;
import java.time.Duration;
import java.util.List;

/**
 * All rows of a sweep run in memory.
 *
 * @param scenarios one entry per scenario, in {@code SweepSpec.scenarios()} order
 * @param elapsed simulation time only (reading the snapshot is not included)
 */
public record LocalSweepResult(SweepCalls calls, List<ScenarioResults> scenarios, long backtests, Duration elapsed) {
    public LocalSweepResult {
        requireNonNull(calls, "calls is null");
        scenarios = List.copyOf(requireNonNull(scenarios, "scenarios is null"));
        requireNonNull(elapsed, "elapsed is null");
    }

    public double backtestsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : backtests / seconds;
    }
}
