package io.quantbot.sweep.optimize;

import java.util.List;

/**
 * A full grid of {@code pointsPerDimension}^4 cell centres in unit coordinates, in a fixed order; trial n is grid
 * point n modulo the grid size.
 */
public final class GridSampler implements Sampler {
    private final int points;

    public GridSampler(int pointsPerDimension) {
        if (pointsPerDimension < 1 || pointsPerDimension > 100) {
            throw new IllegalArgumentException("pointsPerDimension must be in 1..100");
        }
        this.points = pointsPerDimension;
    }

    public int size() {
        int size = 1;
        for (int dimension = 0; dimension < SearchSpace.DIMENSIONS; dimension++) {
            size *= points;
        }
        return size;
    }

    @Override
    public double[] propose(int trialNumber, List<Observation> history) {
        int index = trialNumber % size();
        double[] unit = new double[SearchSpace.DIMENSIONS];
        for (int dimension = 0; dimension < unit.length; dimension++) {
            unit[dimension] = (index % points + 0.5) / points;
            index /= points;
        }
        return unit;
    }

    @Override
    public String name() {
        return "grid";
    }
}
