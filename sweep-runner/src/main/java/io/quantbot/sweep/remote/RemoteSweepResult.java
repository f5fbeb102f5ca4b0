package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one invocation of a sweep did.
 *
 * @param scenarios every scenario of the sweep
 * @param skipped scenarios completed by an earlier invocation (recorded in StatePort), not run again
 * @param outcomes scenarios run now, in the order they finished (failures included)
 * @param interrupted the invocation stopped early (Ctrl-C, thread interrupt); finished scenarios are recorded
 * @param seals FinishRun calls with SEAL_MODE_SWEEP made now, each sealing the sweep's finished runs into one
 *     run_results artifact (AnalyzeSweep reads sealed runs): one per seal wave
 * @param backtests rows written now (succeeded scenarios only)
 * @param rowsCommitted from the start until every row written now was committed (durable) in the daemon; the
 *     rest of {@code elapsed} is finishing runs, checkpoints and the last seal
 * @param phases where the time went, summed over threads (so phases running in parallel add up to more than
 *     the elapsed time)
 */
public record RemoteSweepResult(String sweepId, int scenarios, int skipped, List<ScenarioOutcome> outcomes,
        boolean interrupted, int seals, long backtests, Duration elapsed, Duration rowsCommitted,
        Map<Phase, Duration> phases) {
    public RemoteSweepResult {
        requireNonNull(sweepId, "sweepId is null");
        outcomes = List.copyOf(requireNonNull(outcomes, "outcomes is null"));
        requireNonNull(elapsed, "elapsed is null");
        requireNonNull(rowsCommitted, "rowsCommitted is null");
        phases = Map.copyOf(requireNonNull(phases, "phases is null"));
    }

    /** {@code candle fetch 1.20 s, …} in {@link Phase} order, phases that took no time left out. */
    public String describePhases() {
        StringBuilder text = new StringBuilder();
        for (Phase phase : Phase.values()) {
            Duration duration = phases.getOrDefault(phase, Duration.ZERO);
            if (duration.isZero()) {
                continue;
            }
            if (text.length() > 0) {
                text.append(", ");
            }
            text.append(phase.label()).append(' ').append(String.format(Locale.ROOT, "%.2f s", duration.toNanos() / 1e9));
        }
        return text.toString();
    }

    public List<ScenarioOutcome> failures() {
        return outcomes.stream().filter(outcome -> !outcome.succeeded()).toList();
    }

    public long succeeded() {
        return outcomes.stream().filter(ScenarioOutcome::succeeded).count();
    }

    /** Scenarios neither skipped nor finished now (left for a resume). */
    public int remaining() {
        return scenarios - skipped - outcomes.size();
    }

    public double backtestsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : backtests / seconds;
    }
}
