package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of one backtest. Mutable and reused across backtests so that a sweep of millions of
 * runs allocates nothing per run; a consumer copies the fields it keeps before the next backtest.
 * Fields of a skipped outcome other than the skip reason are meaningless (run_results stores NULL).
 */
public final class BacktestOutcome {
    private boolean tradeable;
    private SkipReason skipReason;
    private long entryTimestamp;
    private double entryPrice;
    private long exitTimestamp;
    private double exitPrice;
    private ExitReason exitReason;
    private double grossReturn;
    private double netReturn;
    private double fees;
    private double slippage;
    private int candlesUsed;

    void skip(SkipReason reason) {
        this.tradeable = false;
        this.skipReason = requireNonNull(reason, "reason is null");
        this.entryTimestamp = 0;
        this.entryPrice = Double.NaN;
        this.exitTimestamp = 0;
        this.exitPrice = Double.NaN;
        this.exitReason = null;
        this.grossReturn = Double.NaN;
        this.netReturn = Double.NaN;
        this.fees = Double.NaN;
        this.slippage = Double.NaN;
        this.candlesUsed = 0;
    }

    void trade(long entryTimestamp, double entryPrice, long exitTimestamp, double exitPrice, ExitReason exitReason,
            int candlesUsed, TradeCosts costs) {
        this.tradeable = true;
        this.skipReason = null;
        this.entryTimestamp = entryTimestamp;
        this.entryPrice = entryPrice;
        this.exitTimestamp = exitTimestamp;
        this.exitPrice = exitPrice;
        this.exitReason = exitReason;
        this.candlesUsed = candlesUsed;
        double gross = exitPrice / entryPrice - 1;
        double notional = costs.notionalUsd();
        double bothLegsNotional = notional + notional * (1 + gross);
        this.grossReturn = gross;
        this.fees = bothLegsNotional * costs.takerFeeBps() / 10_000;
        this.slippage = bothLegsNotional * costs.slippageBps() / 10_000;
        this.netReturn = (notional * gross - fees - slippage) / notional;
    }

    /**
     * A trade closed in one or more legs (ladders).
     *
     * @param exitTimestamp the last leg's time
     * @param grossReturn sum over legs of leg fraction × (leg fill / entry - 1)
     * @param exitValueFraction sum over legs of leg fraction × leg fill / entry: the exit legs' notional per unit
     *     of entry notional, on which fees and slippage are charged
     */
    void tradeLegs(long entryTimestamp, double entryPrice, long exitTimestamp, ExitReason exitReason, int candlesUsed,
            double grossReturn, double exitValueFraction, TradeCosts costs) {
        this.tradeable = true;
        this.skipReason = null;
        this.entryTimestamp = entryTimestamp;
        this.entryPrice = entryPrice;
        this.exitTimestamp = exitTimestamp;
        this.exitPrice = entryPrice * (1 + grossReturn);
        this.exitReason = exitReason;
        this.candlesUsed = candlesUsed;
        double notional = costs.notionalUsd();
        double legsNotional = notional + notional * exitValueFraction;
        this.grossReturn = grossReturn;
        this.fees = legsNotional * costs.takerFeeBps() / 10_000;
        this.slippage = legsNotional * costs.slippageBps() / 10_000;
        this.netReturn = (notional * grossReturn - fees - slippage) / notional;
    }

    public boolean tradeable() {
        return tradeable;
    }

    /** The skip reason of an untradeable outcome, {@code null} when tradeable. */
    public SkipReason skipReason() {
        return skipReason;
    }

    /** Open time of the entry candle. */
    public long entryTimestamp() {
        return entryTimestamp;
    }

    public double entryPrice() {
        return entryPrice;
    }

    /**
     * When the exit happened: the open time of the exit candle for exits at its open or inside it
     * (the exact minute inside a candle is unknown), its close time for exits at its close.
     */
    public long exitTimestamp() {
        return exitTimestamp;
    }

    /** The exit price; for a trade closed in several legs, the fraction-weighted mean of the legs' fills. */
    public double exitPrice() {
        return exitPrice;
    }

    /** The exit reason of a tradeable outcome, {@code null} when skipped. */
    public ExitReason exitReason() {
        return exitReason;
    }

    /** exit / entry - 1. */
    public double grossReturn() {
        return grossReturn;
    }

    /** (notional × gross - fees - slippage) / notional. */
    public double netReturn() {
        return netReturn;
    }

    /** USD, taker fee on both legs. */
    public double fees() {
        return fees;
    }

    /** USD, slippage on both legs. */
    public double slippage() {
        return slippage;
    }

    /** Candles walked from the entry candle to the exit candle, both included. */
    public int candlesUsed() {
        return candlesUsed;
    }

    @Override
    public String toString() {
        if (!tradeable) {
            return "BacktestOutcome[skipped " + skipReason.label() + "]";
        }
        return "BacktestOutcome[entry " + entryPrice + " @" + entryTimestamp + ", exit " + exitPrice + " @" + exitTimestamp
                + " " + exitReason.label() + ", gross " + grossReturn + ", net " + netReturn + ", fees " + fees
                + ", slippage " + slippage + ", candles " + candlesUsed + "]";
    }
}
