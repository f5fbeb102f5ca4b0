package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

/**
 * Simulates one long trade per call over a candle series.
 *
 * <p>Rules (docs in sweep-runner/README.md mirror these):
 * <ul>
 *   <li>Entry: the first candle opening at or after call time + lag, at its open price; it must open
 *       before call time + lag + time frame, otherwise {@link SkipReason#ENTRY_AFTER_DATA}.</li>
 *   <li>The walk covers candles opening before entry time + time frame, starting with the entry candle.</li>
 *   <li>Per candle, in this order: time exit (a candle opening at or after entry + after exits at its
 *       open); stops (stop-loss and trailing stop share one level, the higher of the two; the trailing
 *       level uses the peak of highs of the candles before this one, because inside a candle the order of
 *       high and low is unknown; a candle opening at or below the stop fills at its open, otherwise at the
 *       stop); take-profit (fills at the target). A stop is checked before a target in the same candle:
 *       the conservative assumption.</li>
 *   <li>No overlay hit: if the data reaches the end of the time frame, the trade exits at the close of
 *       the last candle inside the frame ({@link ExitReason#TIME_EXIT}); if the data ends first, at the
 *       last candle's close ({@link ExitReason#END_OF_DATA}).</li>
 * </ul>
 *
 * <p>Thread-safe and allocation-free: it holds only immutable settings and writes into the caller's
 * {@link BacktestOutcome}.
 */
public final class Backtester {
    // Negative entry indexes encode why there is no entry, so locating an entry allocates nothing.
    private static final int NO_CANDLES_CODE = -1;
    private static final int ENTRY_AFTER_DATA_CODE = -2;
    private static final int BAD_PRICE_CODE = -3;

    private final TradeCosts costs;
    private final long timeFrameMillis;

    public Backtester(TradeCosts costs, long timeFrameMillis) {
        this.costs = requireNonNull(costs, "costs is null");
        if (timeFrameMillis <= 0) {
            throw new IllegalArgumentException("timeFrameMillis must be > 0");
        }
        this.timeFrameMillis = timeFrameMillis;
    }

    public TradeCosts costs() {
        return costs;
    }

    public long timeFrameMillis() {
        return timeFrameMillis;
    }

    /** Backtests one call, one lag and one overlay set. */
    public void backtest(long callTimestamp, CandleSeries series, long lagMillis, ExitPlan plan, BacktestOutcome outcome) {
        int entryIndex = entryIndex(series, callTimestamp, lagMillis);
        if (entryIndex < 0) {
            outcome.skip(skipReasonOf(entryIndex));
            return;
        }
        backtestFromEntry(series, entryIndex, plan, outcome);
    }

    /**
     * Locates the entry candle once so that all overlay sets of one lag share it.
     *
     * @return the entry index, or a negative code for {@link #skipReasonOf(int)}
     */
    public int entryIndex(CandleSeries series, long callTimestamp, long lagMillis) {
        if (series.isEmpty()) {
            return NO_CANDLES_CODE;
        }
        long entryFrom = callTimestamp + lagMillis;
        int index = series.firstIndexAtOrAfter(entryFrom);
        if (index >= series.size() || series.timestamp(index) - entryFrom >= timeFrameMillis) {
            return ENTRY_AFTER_DATA_CODE;
        }
        double open = series.open(index);
        if (!(open > 0) || Double.isInfinite(open)) {
            return BAD_PRICE_CODE;
        }
        return index;
    }

    public static SkipReason skipReasonOf(int entryIndexCode) {
        return switch (entryIndexCode) {
            case NO_CANDLES_CODE -> SkipReason.NO_CANDLES;
            case ENTRY_AFTER_DATA_CODE -> SkipReason.ENTRY_AFTER_DATA;
            case BAD_PRICE_CODE -> SkipReason.BAD_PRICE;
            default -> throw new IllegalArgumentException("not a skip code: " + entryIndexCode);
        };
    }

    /** Walks forward from a located entry candle (see {@link #entryIndex}) until an exit. */
    public void backtestFromEntry(CandleSeries series, int entryIndex, ExitPlan plan, BacktestOutcome outcome) {
        long[] timestamps = series.timestampArray();
        double[] open = series.openArray();
        double[] high = series.highArray();
        double[] low = series.lowArray();
        double[] close = series.closeArray();
        int size = series.size();

        double entryPrice = open[entryIndex];
        long entryTimestamp = timestamps[entryIndex];
        long frameEnd = entryTimestamp + timeFrameMillis;
        double takeProfitLevel = plan.takeProfitLevel(entryPrice);
        double stopLossLevel = plan.stopLossLevel(entryPrice);
        double trailingKeep = plan.trailingKeep();
        long afterMillis = plan.timeExitAfterMillis();
        long timeExitAt = afterMillis == Long.MAX_VALUE ? Long.MAX_VALUE : entryTimestamp + afterMillis;
        double peak = entryPrice;

        int index = entryIndex;
        for (; index < size && timestamps[index] < frameEnd; index++) {
            long timestamp = timestamps[index];
            if (timestamp >= timeExitAt) {
                outcome.trade(entryTimestamp, entryPrice, timestamp, open[index], ExitReason.TIME_EXIT,
                        index - entryIndex + 1, costs);
                return;
            }
            double trailingLevel = peak * trailingKeep;
            double stopLevel = Math.max(stopLossLevel, trailingLevel);
            if (low[index] <= stopLevel) {
                // A gap past the stop fills at the open: the stop order could not execute any better.
                double fill = Math.min(open[index], stopLevel);
                ExitReason reason = stopLossLevel >= trailingLevel ? ExitReason.STOP_LOSS : ExitReason.TRAILING_STOP;
                outcome.trade(entryTimestamp, entryPrice, timestamp, fill, reason, index - entryIndex + 1, costs);
                return;
            }
            if (high[index] >= takeProfitLevel) {
                outcome.trade(entryTimestamp, entryPrice, timestamp, takeProfitLevel, ExitReason.TAKE_PROFIT,
                        index - entryIndex + 1, costs);
                return;
            }
            if (high[index] > peak) {
                peak = high[index];
            }
        }
        int last = index - 1;
        long lastCloseTime = timestamps[last] + series.interval().millis();
        // The frame is covered when data continues past it or the last candle closes at or after its end.
        boolean frameCovered = index < size || lastCloseTime >= frameEnd;
        outcome.trade(entryTimestamp, entryPrice, lastCloseTime, close[last],
                frameCovered ? ExitReason.TIME_EXIT : ExitReason.END_OF_DATA, last - entryIndex + 1, costs);
    }
}
