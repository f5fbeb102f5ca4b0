package io.quantbot.sweep.optimize;

import java.util.Arrays;

/**
 * Net-return statistics of one policy over one set of calls, in call-time order: counts, mean, median, standard
 * deviation, a Sharpe-like ratio (mean / std per trade), win rate, total, and the maximum drawdown of the running
 * sum of net returns (as a positive number), a Sortino-like ratio (mean / downside deviation, the root mean square of
 * the losses over all trades) and the profit factor (sum of gains / sum of losses). Statistics are NaN without trades;
 * the ratios are NaN when their denominator is 0.
 */
public record Metrics(int calls, int trades, double mean, double median, double std, double sharpe, double winRate,
        double total, double maxDrawdown, double worst, double best, double sortino, double profitFactor) {

    /** @param netReturns net returns of the tradeable calls, in call-time order */
    public static Metrics of(int calls, double[] netReturns, int trades) {
        if (trades == 0) {
            return new Metrics(calls, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN);
        }
        double sum = 0;
        int wins = 0;
        double running = 0;
        double peak = 0;
        double drawdown = 0;
        double worst = Double.POSITIVE_INFINITY;
        double best = Double.NEGATIVE_INFINITY;
        for (int index = 0; index < trades; index++) {
            double value = netReturns[index];
            sum += value;
            wins += value > 0 ? 1 : 0;
            running += value;
            peak = Math.max(peak, running);
            drawdown = Math.max(drawdown, peak - running);
            worst = Math.min(worst, value);
            best = Math.max(best, value);
        }
        double mean = sum / trades;
        double squares = 0;
        for (int index = 0; index < trades; index++) {
            squares += (netReturns[index] - mean) * (netReturns[index] - mean);
        }
        double std = trades > 1 ? Math.sqrt(squares / (trades - 1)) : Double.NaN;
        double[] sorted = Arrays.copyOf(netReturns, trades);
        Arrays.sort(sorted);
        double median = trades % 2 == 1 ? sorted[trades / 2] : (sorted[trades / 2 - 1] + sorted[trades / 2]) / 2;
        double sharpe = std > 0 ? mean / std : Double.NaN;
        double gains = 0;
        double losses = 0;
        double downsideSquares = 0;
        for (int index = 0; index < trades; index++) {
            double value = netReturns[index];
            if (value > 0) {
                gains += value;
            }
            else if (value < 0) {
                losses -= value;
                downsideSquares += value * value;
            }
        }
        double downside = Math.sqrt(downsideSquares / trades);
        double sortino = downside > 0 ? mean / downside : Double.NaN;
        double profitFactor = losses > 0 ? gains / losses : Double.NaN;
        return new Metrics(calls, trades, mean, median, std, sharpe, (double) wins / trades, sum, drawdown, worst, best, sortino,
                profitFactor);
    }
}
