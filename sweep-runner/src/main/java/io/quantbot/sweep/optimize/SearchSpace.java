package io.quantbot.sweep.optimize;

/**
 * The overlay parameters the optimizer searches, each mapped from a unit coordinate u in [0, 1]: take-profit
 * and time exit on a log scale (10-500 %, 15 m-48 h), stop-loss and trailing stop linearly (5-60 %, 5-50 %).
 * Samplers work in unit coordinates so that one kernel width fits every dimension.
 */
public record SearchSpace(double takeProfitMin, double takeProfitMax, double stopMin, double stopMax,
        double trailingMin, double trailingMax, long timeExitMinMinutes, long timeExitMaxMinutes) {
    public static final int DIMENSIONS = 4;
    public static final SearchSpace DEFAULT = new SearchSpace(10, 500, 5, 60, 5, 50, 15, 48 * 60);

    public SearchSpace {
        if (!(takeProfitMin > 0 && takeProfitMin <= takeProfitMax) || !(stopMin > 0 && stopMin <= stopMax && stopMax < 100)
                || !(trailingMin > 0 && trailingMin <= trailingMax && trailingMax < 100)
                || !(timeExitMinMinutes >= 1 && timeExitMinMinutes <= timeExitMaxMinutes)) {
            throw new IllegalArgumentException("invalid search space " + this);
        }
    }

    /** The policy at unit coordinates (each clamped to [0, 1]). */
    public Policy policy(double[] unit) {
        if (unit.length != DIMENSIONS) {
            throw new IllegalArgumentException("expected " + DIMENSIONS + " coordinates");
        }
        return new Policy(
                logScale(takeProfitMin, takeProfitMax, unit[0]),
                linear(stopMin, stopMax, unit[1]),
                linear(trailingMin, trailingMax, unit[2]),
                Math.round(logScale(timeExitMinMinutes, timeExitMaxMinutes, unit[3])));
    }

    private static double clamp(double u) {
        return Math.max(0, Math.min(1, u));
    }

    private static double linear(double min, double max, double u) {
        return min + (max - min) * clamp(u);
    }

    private static double logScale(double min, double max, double u) {
        return min * Math.pow(max / min, clamp(u));
    }
}
