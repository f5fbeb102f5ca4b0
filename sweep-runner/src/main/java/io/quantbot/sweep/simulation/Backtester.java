package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.EntryRule;

/**
 * Simulates one long trade per call over a candle series. docs/backtest-rules.md states every rule with
 * worked examples (a test runs them); in short:
 * <ul>
 *   <li>Entry ({@link EntryRule}): {@code next_open} enters at the open of the first candle opening at or
 *       after call time + lag; {@code next_close} at that candle's close, stamped at its end, the walk starting
 *       with the next candle; {@code limit} at call price × (1 + tolerance) or the open if lower, on the first
 *       candle of the window [call + lag, call + lag + window) whose low reaches the limit (a fill at the open
 *       walks that candle, a fill inside it starts the walk with the next one). The entry candle must open
 *       before call time + lag + time frame, otherwise {@link SkipReason#ENTRY_AFTER_DATA}.</li>
 *   <li>The walk covers candles opening before entry time + time frame.</li>
 *   <li>Per candle, in this order: time exit (a candle opening at or after entry + after exits everything at its
 *       open); stops, highest level first (stop legs and the trailing stop, whose level uses the peak of highs of
 *       the candles before this one; a candle opening at or below a level fills it at the open, otherwise at the
 *       level); then take-profit legs, lowest first (each fills at its target). A stop is checked before a target
 *       in the same candle: the conservative assumption.</li>
 *   <li>What is left at the end: if the data reaches the end of the time frame, it exits at the close of the last
 *       candle inside the frame ({@link ExitReason#TIME_EXIT}); if the data ends first, at the last candle's
 *       close ({@link ExitReason#END_OF_DATA}); both stamped at that candle's end.</li>
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
    private static final int LIMIT_NOT_FILLED_CODE = -4;
    private static final int NO_CALL_PRICE_CODE = -5;
    /** A position below this share of the original is closed (sums of decimal fractions such as 0.1 + 0.2 + 0.7). */
    private static final double CLOSED = 1e-9;

    private final TradeCosts costs;
    private final long timeFrameMillis;
    private final EntryRule entryRule;

    public Backtester(TradeCosts costs, long timeFrameMillis) {
        this(costs, timeFrameMillis, EntryRule.NEXT_OPEN);
    }

    public Backtester(TradeCosts costs, long timeFrameMillis, EntryRule entryRule) {
        this.costs = requireNonNull(costs, "costs is null");
        if (timeFrameMillis <= 0) {
            throw new IllegalArgumentException("timeFrameMillis must be > 0");
        }
        this.timeFrameMillis = timeFrameMillis;
        this.entryRule = requireNonNull(entryRule, "entryRule is null");
        if (entryRule.kind() == EntryRule.Kind.LIMIT && entryRule.windowMillis() > timeFrameMillis) {
            throw new IllegalArgumentException("the limit entry window must be <= the time frame");
        }
    }

    public TradeCosts costs() {
        return costs;
    }

    public long timeFrameMillis() {
        return timeFrameMillis;
    }

    public EntryRule entryRule() {
        return entryRule;
    }

    /** Backtests one call (entering at the next open: the call price is not needed), one lag and one overlay set. */
    public void backtest(long callTimestamp, CandleSeries series, long lagMillis, ExitPlan plan, BacktestOutcome outcome) {
        backtest(callTimestamp, Double.NaN, series, lagMillis, plan, outcome);
    }

    /** Backtests one call, one lag and one overlay set; {@code callPrice} matters only to the limit entry. */
    public void backtest(long callTimestamp, double callPrice, CandleSeries series, long lagMillis, ExitPlan plan,
            BacktestOutcome outcome) {
        int entryIndex = entryIndex(series, callTimestamp, callPrice, lagMillis);
        if (entryIndex < 0) {
            outcome.skip(skipReasonOf(entryIndex));
            return;
        }
        backtestFromEntry(series, entryIndex, callPrice, plan, outcome);
    }

    /** {@link #entryIndex(CandleSeries, long, double, long)} without a call price (next_open, next_close). */
    public int entryIndex(CandleSeries series, long callTimestamp, long lagMillis) {
        return entryIndex(series, callTimestamp, Double.NaN, lagMillis);
    }

    /**
     * Locates the entry candle once so that all overlay sets of one lag share it.
     *
     * @return the entry index, or a negative code for {@link #skipReasonOf(int)}
     */
    public int entryIndex(CandleSeries series, long callTimestamp, double callPrice, long lagMillis) {
        long entryFrom = callTimestamp + lagMillis;
        int index = series.firstIndexAtOrAfter(entryFrom);
        // Only candles from call + lag on matter (a sweep fetches nothing earlier): none at all is no_candles,
        // whether the series is empty or ends before call + lag.
        if (index >= series.size()) {
            return NO_CANDLES_CODE;
        }
        if (series.timestamp(index) - entryFrom >= timeFrameMillis) {
            return ENTRY_AFTER_DATA_CODE;
        }
        switch (entryRule.kind()) {
            case NEXT_OPEN -> {
                return validPrice(series.open(index)) ? index : BAD_PRICE_CODE;
            }
            case NEXT_CLOSE -> {
                return validPrice(series.close(index)) ? index : BAD_PRICE_CODE;
            }
            case LIMIT -> {
                if (!validPrice(callPrice)) {
                    return NO_CALL_PRICE_CODE;
                }
                double limit = limitPrice(callPrice);
                long windowEnd = entryFrom + entryRule.windowMillis();
                for (; index < series.size() && series.timestamp(index) < windowEnd; index++) {
                    if (series.low(index) <= limit) {
                        return validPrice(Math.min(series.open(index), limit)) ? index : BAD_PRICE_CODE;
                    }
                }
                return LIMIT_NOT_FILLED_CODE;
            }
            default -> throw new IllegalStateException("unknown entry rule " + entryRule);
        }
    }

    private double limitPrice(double callPrice) {
        return callPrice * (1 + entryRule.tolerancePct() / 100.0);
    }

    private static boolean validPrice(double price) {
        return price > 0 && !Double.isInfinite(price);
    }

    public static SkipReason skipReasonOf(int entryIndexCode) {
        return switch (entryIndexCode) {
            case NO_CANDLES_CODE -> SkipReason.NO_CANDLES;
            case ENTRY_AFTER_DATA_CODE -> SkipReason.ENTRY_AFTER_DATA;
            case BAD_PRICE_CODE -> SkipReason.BAD_PRICE;
            case LIMIT_NOT_FILLED_CODE -> SkipReason.LIMIT_NOT_FILLED;
            case NO_CALL_PRICE_CODE -> SkipReason.NO_CALL_PRICE;
            default -> throw new IllegalArgumentException("not a skip code: " + entryIndexCode);
        };
    }

    /** {@link #backtestFromEntry(CandleSeries, int, double, ExitPlan, BacktestOutcome)} without a call price. */
    public void backtestFromEntry(CandleSeries series, int entryIndex, ExitPlan plan, BacktestOutcome outcome) {
        backtestFromEntry(series, entryIndex, Double.NaN, plan, outcome);
    }

    /** Walks forward from a located entry candle (see {@link #entryIndex}) until an exit. */
    public void backtestFromEntry(CandleSeries series, int entryIndex, double callPrice, ExitPlan plan,
            BacktestOutcome outcome) {
        long[] timestamps = series.timestampArray();
        double entryPrice;
        long entryTimestamp;
        int walkStart;
        switch (entryRule.kind()) {
            case NEXT_OPEN -> {
                entryPrice = series.open(entryIndex);
                entryTimestamp = timestamps[entryIndex];
                walkStart = entryIndex;
            }
            case NEXT_CLOSE -> {
                entryPrice = series.close(entryIndex);
                entryTimestamp = timestamps[entryIndex] + series.interval().millis();
                walkStart = entryIndex + 1;
            }
            case LIMIT -> {
                double limit = limitPrice(callPrice);
                double open = series.open(entryIndex);
                entryTimestamp = timestamps[entryIndex];
                if (open <= limit) {
                    entryPrice = open;
                    walkStart = entryIndex;
                }
                else {
                    entryPrice = limit;
                    walkStart = entryIndex + 1;
                }
            }
            default -> throw new IllegalStateException("unknown entry rule " + entryRule);
        }
        if (plan.laddered()) {
            walkLegs(series, entryIndex, walkStart, entryTimestamp, entryPrice, plan, outcome);
        }
        else {
            walk(series, entryIndex, walkStart, entryTimestamp, entryPrice, plan, outcome);
        }
    }

    /** The single-exit loop: every overlay closes the whole position. */
    private void walk(CandleSeries series, int entryIndex, int walkStart, long entryTimestamp, double entryPrice,
            ExitPlan plan, BacktestOutcome outcome) {
        long[] timestamps = series.timestampArray();
        double[] open = series.openArray();
        double[] high = series.highArray();
        double[] low = series.lowArray();
        double[] close = series.closeArray();
        int size = series.size();

        long frameEnd = entryTimestamp + timeFrameMillis;
        double takeProfitLevel = plan.takeProfitLevel(entryPrice);
        double stopLossLevel = plan.stopLossLevel(entryPrice);
        double trailingKeep = plan.trailingKeep();
        long afterMillis = plan.timeExitAfterMillis();
        long timeExitAt = afterMillis == Long.MAX_VALUE ? Long.MAX_VALUE : entryTimestamp + afterMillis;
        double peak = entryPrice;

        int index = walkStart;
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

    /**
     * The leg-by-leg loop: each ladder leg sells its share of the original position (or what is left, if less);
     * the trailing stop and the time exit sell everything left. Allocation-free: leg state is two bit masks, so a
     * ladder has at most 63 legs (the spec loader allows far fewer in practice).
     */
    private void walkLegs(CandleSeries series, int entryIndex, int walkStart, long entryTimestamp, double entryPrice,
            ExitPlan plan, BacktestOutcome outcome) {
        long[] timestamps = series.timestampArray();
        double[] open = series.openArray();
        double[] high = series.highArray();
        double[] low = series.lowArray();
        double[] close = series.closeArray();
        int size = series.size();

        long frameEnd = entryTimestamp + timeFrameMillis;
        double trailingKeep = plan.trailingKeep();
        long afterMillis = plan.timeExitAfterMillis();
        long timeExitAt = afterMillis == Long.MAX_VALUE ? Long.MAX_VALUE : entryTimestamp + afterMillis;
        int stopLegs = plan.stopLegs();
        int targetLegs = plan.takeProfitLegs();
        if (stopLegs > 63 || targetLegs > 63) {
            throw new IllegalArgumentException("a ladder has at most 63 legs");
        }
        double peak = entryPrice;
        double remaining = 1;
        double gross = 0;
        double exitValue = 0;
        long stopsFilled = 0;
        long targetsFilled = 0;
        long lastTimestamp = 0;
        ExitReason lastReason = null;
        int lastIndex = walkStart - 1;

        int index = walkStart;
        walk:
        for (; index < size && timestamps[index] < frameEnd; index++) {
            long timestamp = timestamps[index];
            if (timestamp >= timeExitAt) {
                gross += remaining * (open[index] / entryPrice - 1);
                exitValue += remaining * open[index] / entryPrice;
                remaining = 0;
                lastTimestamp = timestamp;
                lastReason = ExitReason.TIME_EXIT;
                lastIndex = index;
                break;
            }
            double trailingLevel = peak * trailingKeep;
            boolean trailingChecked = false;
            // Stops, highest level first: stop legs in ascending pct, the trailing stop where its level falls.
            for (int leg = 0; leg < stopLegs; leg++) {
                if ((stopsFilled & (1L << leg)) != 0) {
                    continue;
                }
                double level = plan.stopLegLevel(leg, entryPrice);
                if (!trailingChecked && trailingLevel > level) {
                    trailingChecked = true;
                    if (low[index] <= trailingLevel) {
                        double fill = Math.min(open[index], trailingLevel);
                        gross += remaining * (fill / entryPrice - 1);
                        exitValue += remaining * fill / entryPrice;
                        remaining = 0;
                        lastTimestamp = timestamp;
                        lastReason = ExitReason.TRAILING_STOP;
                        lastIndex = index;
                        break walk;
                    }
                }
                if (low[index] > level) {
                    break;
                }
                double fill = Math.min(open[index], level);
                double share = Math.min(plan.stopLegShare(leg), remaining);
                gross += share * (fill / entryPrice - 1);
                exitValue += share * fill / entryPrice;
                remaining -= share;
                stopsFilled |= 1L << leg;
                lastTimestamp = timestamp;
                lastReason = ExitReason.STOP_LOSS;
                lastIndex = index;
                if (remaining <= CLOSED) {
                    break walk;
                }
            }
            if (!trailingChecked && low[index] <= trailingLevel) {
                double fill = Math.min(open[index], trailingLevel);
                gross += remaining * (fill / entryPrice - 1);
                exitValue += remaining * fill / entryPrice;
                remaining = 0;
                lastTimestamp = timestamp;
                lastReason = ExitReason.TRAILING_STOP;
                lastIndex = index;
                break;
            }
            // Take-profit legs, lowest target first.
            for (int leg = 0; leg < targetLegs; leg++) {
                if ((targetsFilled & (1L << leg)) != 0) {
                    continue;
                }
                double level = plan.takeProfitLegLevel(leg, entryPrice);
                if (high[index] < level) {
                    break;
                }
                double share = Math.min(plan.takeProfitLegShare(leg), remaining);
                gross += share * (level / entryPrice - 1);
                exitValue += share * level / entryPrice;
                remaining -= share;
                targetsFilled |= 1L << leg;
                lastTimestamp = timestamp;
                lastReason = ExitReason.TAKE_PROFIT;
                lastIndex = index;
                if (remaining <= CLOSED) {
                    break walk;
                }
            }
            if (high[index] > peak) {
                peak = high[index];
            }
        }
        if (remaining > CLOSED) {
            int last = index - 1;
            long lastCloseTime = timestamps[last] + series.interval().millis();
            boolean frameCovered = index < size || lastCloseTime >= frameEnd;
            gross += remaining * (close[last] / entryPrice - 1);
            exitValue += remaining * close[last] / entryPrice;
            lastTimestamp = lastCloseTime;
            lastReason = frameCovered ? ExitReason.TIME_EXIT : ExitReason.END_OF_DATA;
            lastIndex = last;
        }
        outcome.tradeLegs(entryTimestamp, entryPrice, lastTimestamp, lastReason, lastIndex - entryIndex + 1, gross,
                exitValue, costs);
    }
}
