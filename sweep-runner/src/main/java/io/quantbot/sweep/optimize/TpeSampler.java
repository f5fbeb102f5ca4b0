package io.quantbot.sweep.optimize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A tree-structured Parzen estimator (Bergstra et al., 2011) over the unit cube: after {@code startupTrials} random
 * trials, the scored history is split into the best {@code gamma} share ("good") and the rest ("bad"); each is
 * modelled as a product of per-dimension Gaussian kernels (one per observation, plus a flat prior) truncated to
 * [0, 1]; {@code candidates} points are drawn from the good model and the one with the highest ratio
 * good density / bad density is proposed.
 */
public final class TpeSampler implements Sampler {
    private final long seed;
    private final int startupTrials;
    private final double gamma;
    private final int candidates;

    public TpeSampler(long seed, int startupTrials, double gamma, int candidates) {
        if (startupTrials < 2 || !(gamma > 0 && gamma < 1) || candidates < 1) {
            throw new IllegalArgumentException("startupTrials >= 2, 0 < gamma < 1 and candidates >= 1 are required");
        }
        this.seed = seed;
        this.startupTrials = startupTrials;
        this.gamma = gamma;
        this.candidates = candidates;
    }

    public TpeSampler(long seed) {
        this(seed, 20, 0.2, 48);
    }

    @Override
    public double[] propose(int trialNumber, List<Observation> history) {
        List<Observation> scored = new ArrayList<>();
        for (Observation observation : history) {
            if (!Double.isNaN(observation.score())) {
                scored.add(observation);
            }
        }
        if (trialNumber < startupTrials || scored.size() < startupTrials) {
            return RandomSampler.uniform(seed, trialNumber);
        }
        // Stable order: best score first, ties by coordinates, so the split does not depend on arrival order.
        scored.sort(Comparator.comparingDouble((Observation o) -> -o.score()).thenComparing(o -> o.unit()[0])
                .thenComparing(o -> o.unit()[1]).thenComparing(o -> o.unit()[2]).thenComparing(o -> o.unit()[3]));
        int good = Math.max(1, (int) Math.ceil(gamma * scored.size()));
        List<double[]> below = new ArrayList<>();
        List<double[]> above = new ArrayList<>();
        for (int index = 0; index < scored.size(); index++) {
            (index < good ? below : above).add(scored.get(index).unit());
        }
        double goodWidth = bandwidth(below.size());
        double badWidth = bandwidth(above.size());
        SplittableRandom random = new SplittableRandom(seed ^ (0xD1B54A32D192ED03L * (trialNumber + 1)));
        double[] best = null;
        double bestRatio = Double.NEGATIVE_INFINITY;
        for (int candidate = 0; candidate < candidates; candidate++) {
            double[] point = sample(below, goodWidth, random);
            double ratio = logDensity(point, below, goodWidth) - logDensity(point, above, badWidth);
            if (ratio > bestRatio) {
                bestRatio = ratio;
                best = point;
            }
        }
        return best;
    }

    /** Scott-like width shrinking with the number of observations, never below 0.02 of the unit range. */
    private static double bandwidth(int observations) {
        return Math.max(0.02, 0.5 * Math.pow(observations + 1, -1.0 / (SearchSpace.DIMENSIONS + 4)));
    }

    private static double[] sample(List<double[]> kernels, double width, SplittableRandom random) {
        // Pick a kernel (or the flat prior, one slot of kernels + 1), then draw per dimension, redrawing outside [0, 1].
        int pick = random.nextInt(kernels.size() + 1);
        double[] point = new double[SearchSpace.DIMENSIONS];
        for (int dimension = 0; dimension < point.length; dimension++) {
            if (pick == kernels.size()) {
                point[dimension] = random.nextDouble();
                continue;
            }
            double value;
            int attempts = 0;
            do {
                value = kernels.get(pick)[dimension] + width * gaussian(random);
                attempts++;
            }
            while ((value < 0 || value > 1) && attempts < 32);
            point[dimension] = Math.max(0, Math.min(1, value));
        }
        return point;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Log of the mixture density: the kernels and a flat prior (density 1 on the cube), equally weighted. */
    private static double logDensity(double[] point, List<double[]> kernels, double width) {
        double sum = 1;  // the prior
        double norm = 1 / (width * Math.sqrt(2 * Math.PI));
        for (double[] kernel : kernels) {
            double product = 1;
            for (int dimension = 0; dimension < point.length; dimension++) {
                double z = (point[dimension] - kernel[dimension]) / width;
                product *= norm * Math.exp(-0.5 * z * z);
            }
            sum += product;
        }
        return Math.log(sum / (kernels.size() + 1));
    }

    @Override
    public String name() {
        return "tpe";
    }
}
