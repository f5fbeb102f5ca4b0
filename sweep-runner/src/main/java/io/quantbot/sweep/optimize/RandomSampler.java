package io.quantbot.sweep.optimize;

import java.util.List;
import java.util.SplittableRandom;

/** Uniform in unit coordinates; trial n uses a generator split from the seed by n (independent of the history). */
public final class RandomSampler implements Sampler {
    private final long seed;

    public RandomSampler(long seed) {
        this.seed = seed;
    }

    @Override
    public double[] propose(int trialNumber, List<Observation> history) {
        return uniform(seed, trialNumber);
    }

    static double[] uniform(long seed, int trialNumber) {
        SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (trialNumber + 1)));
        double[] unit = new double[SearchSpace.DIMENSIONS];
        for (int dimension = 0; dimension < unit.length; dimension++) {
            unit[dimension] = random.nextDouble();
        }
        return unit;
    }

    @Override
    public String name() {
        return "random";
    }
}
