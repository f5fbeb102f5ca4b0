package io.quantbot.sweep.results;

import java.util.Arrays;

/**
 * Count, mean, percentiles and win rate of a group of net returns. Percentiles interpolate linearly
 * between closest ranks (numpy's default, DuckDB's {@code quantile_cont}), so local and daemon
 * leaderboards agree. With no values every statistic is NaN.
 */
public record ReturnStatistics(long count, double mean, double p5, double p50, double p95, double winRate) {

    /** Sorts {@code values[0, count)} in place. */
    public static ReturnStatistics ofUnsorted(double[] values, int count) {
        if (count == 0) {
            return new ReturnStatistics(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        Arrays.sort(values, 0, count);
        double sum = 0;
        int wins = 0;
        for (int index = 0; index < count; index++) {
            sum += values[index];
            if (values[index] > 0) {
                wins++;
            }
        }
        return new ReturnStatistics(count, sum / count, quantile(values, count, 0.05), quantile(values, count, 0.50),
                quantile(values, count, 0.95), (double) wins / count);
    }

    /** Linear interpolation between closest ranks over sorted {@code values[0, count)}. */
    public static double quantile(double[] sorted, int count, double q) {
        if (count == 0) {
            return Double.NaN;
        }
        double position = (count - 1) * q;
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, count - 1);
        double weight = position - lower;
        return sorted[lower] + weight * (sorted[upper] - sorted[lower]);
    }
}
