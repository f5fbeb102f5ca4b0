package io.quantbot.sweep.optimize;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.SweepSpec;

/**
 * A validated {@code optimize} file: the sweep part (calls, one interval, one entry lag, time frame, costs, entry
 * rule) and the search (sampler, budget, folds, seed, groups, bounds). Build it with {@link OptimizeSpecLoader}.
 *
 * @param optimizeId names the optimization in StatePort and in the artifacts' logical keys; a rerun with the same id
 *     continues where it stopped
 * @param sweep the sweep part; its single overlay set is a placeholder the search replaces
 * @param batchSize trials proposed together (the results depend on it, never on the thread count)
 * @param groupBy {@code caller}: one search per caller with at least {@code minCalls} calls; {@code none}: one
 *     search over all calls
 * @param specHash SHA-256 of the canonical settings; a resume under the same id with other settings is refused
 */
public record OptimizeSpec(String optimizeId, SweepSpec sweep, String sampler, int trials, int folds, long seed, int batchSize,
        int pruneAfterTrials, String groupBy, int minCalls, int top, SearchSpace space, int gridPoints, String specHash) {
    public static final String GROUP_CALLER = "caller";
    public static final String GROUP_NONE = "none";

    public OptimizeSpec {
        requireNonNull(optimizeId, "optimizeId is null");
        requireNonNull(sweep, "sweep is null");
        requireNonNull(sampler, "sampler is null");
        requireNonNull(groupBy, "groupBy is null");
        requireNonNull(space, "space is null");
        requireNonNull(specHash, "specHash is null");
    }

    /** A new sampler of this spec's kind and seed (each group gets its own, from the same seed). */
    public Sampler newSampler() {
        return switch (sampler) {
            case "grid" -> new GridSampler(gridPoints);
            case "random" -> new RandomSampler(seed);
            case "tpe" -> new TpeSampler(seed);
            default -> throw new IllegalStateException("unknown sampler " + sampler);
        };
    }
}
