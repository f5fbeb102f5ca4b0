package io.quantbot.sweep.optimize;

import java.util.List;

/**
 * Proposes the unit coordinates of the next trial from the finished ones. Implementations are deterministic
 * functions of their seed, the trial number and the history they are shown, so the same seed gives the same
 * trials however many threads evaluate them.
 */
@FunctionalInterface
public interface Sampler {
    /** A finished trial: its coordinates and its score (higher is better; NaN = no score, e.g. pruned). */
    record Observation(double[] unit, double score) {}

    double[] propose(int trialNumber, List<Observation> history);

    /** Shown in results: grid, random, tpe. */
    default String name() {
        return getClass().getSimpleName();
    }
}
