package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;
import java.util.List;

/**
 * An overlay set compiled to the primitives the backtest loop checks per candle. Absent overlays
 * are encoded so that they can never trigger (no branches on "is it set" in the loop).
 *
 * <p>A take-profit is a one-leg take-profit ladder and a stop-loss a one-leg stop ladder; a plan whose legs
 * are all whole-position legs ({@link #laddered()} false) runs on the backtester's single-exit loop, any other
 * on the leg-by-leg loop. Both give the same numbers for single legs (a test checks it).
 */
public final class ExitPlan {
    private static final double[] NONE = new double[0];

    private final String name;
    private final double takeProfitFraction;
    private final double stopLossFraction;
    private final double trailingStopFraction;
    private final long timeExitMillis;
    private final double[] takeProfitPcts;
    private final double[] takeProfitShares;
    private final double[] stopPcts;
    private final double[] stopShares;
    private final boolean laddered;

    private ExitPlan(String name, double takeProfitFraction, double stopLossFraction, double trailingStopFraction,
            long timeExitMillis, double[] takeProfitPcts, double[] takeProfitShares, double[] stopPcts, double[] stopShares,
            boolean laddered) {
        this.name = name;
        this.takeProfitFraction = takeProfitFraction;
        this.stopLossFraction = stopLossFraction;
        this.trailingStopFraction = trailingStopFraction;
        this.timeExitMillis = timeExitMillis;
        this.takeProfitPcts = takeProfitPcts;
        this.takeProfitShares = takeProfitShares;
        this.stopPcts = stopPcts;
        this.stopShares = stopShares;
        this.laddered = laddered;
    }

    public static ExitPlan of(OverlaySet overlaySet) {
        requireNonNull(overlaySet, "overlaySet is null");
        double takeProfit = Double.NaN;
        double stopLoss = Double.NaN;
        double trailing = Double.NaN;
        long timeExit = -1;
        double[] takeProfitPcts = NONE;
        double[] takeProfitShares = NONE;
        double[] stopPcts = NONE;
        double[] stopShares = NONE;
        boolean laddered = false;
        for (Overlay overlay : overlaySet.overlays()) {
            if (overlay instanceof Overlay.TakeProfit takeProfitOverlay) {
                takeProfit = takeProfitOverlay.fraction();
                takeProfitPcts = new double[] {takeProfit};
                takeProfitShares = new double[] {1};
            }
            else if (overlay instanceof Overlay.StopLoss stopLossOverlay) {
                stopLoss = stopLossOverlay.fraction();
                stopPcts = new double[] {stopLoss};
                stopShares = new double[] {1};
            }
            else if (overlay instanceof Overlay.TrailingStop trailingOverlay) {
                trailing = trailingOverlay.fraction();
            }
            else if (overlay instanceof Overlay.TimeExit timeExitOverlay) {
                timeExit = timeExitOverlay.afterMillis();
            }
            else if (overlay instanceof Overlay.TakeProfitLadder ladder) {
                takeProfitPcts = fractions(ladder.legs());
                takeProfitShares = shares(ladder.legs());
                laddered = true;
            }
            else if (overlay instanceof Overlay.StopLadder ladder) {
                stopPcts = fractions(ladder.legs());
                stopShares = shares(ladder.legs());
                laddered = true;
            }
        }
        return new ExitPlan(overlaySet.name(), takeProfit, stopLoss, trailing, timeExit, takeProfitPcts,
                takeProfitShares, stopPcts, stopShares, laddered);
    }

    /** The same plan run on the leg-by-leg loop (tests compare both loops on single-leg plans). */
    ExitPlan asLaddered() {
        return new ExitPlan(name, takeProfitFraction, stopLossFraction, trailingStopFraction, timeExitMillis,
                takeProfitPcts, takeProfitShares, stopPcts, stopShares, true);
    }

    private static double[] fractions(List<Overlay.Leg> legs) {
        return legs.stream().mapToDouble(leg -> leg.pct() / 100.0).toArray();
    }

    private static double[] shares(List<Overlay.Leg> legs) {
        return legs.stream().mapToDouble(Overlay.Leg::fraction).toArray();
    }

    public String name() {
        return name;
    }

    /** Whether the plan has ladder legs (partial exits) and needs the leg-by-leg loop. */
    boolean laddered() {
        return laddered;
    }

    /** Target price for an entry, {@code +Infinity} without a take-profit. */
    double takeProfitLevel(double entryPrice) {
        return Double.isNaN(takeProfitFraction) ? Double.POSITIVE_INFINITY : entryPrice * (1 + takeProfitFraction);
    }

    /** Stop price for an entry, {@code -Infinity} without a stop-loss. */
    double stopLossLevel(double entryPrice) {
        return Double.isNaN(stopLossFraction) ? Double.NEGATIVE_INFINITY : entryPrice * (1 - stopLossFraction);
    }

    /** Multiplier of the running peak; {@code -Infinity} without a trailing stop, so its level is never reached. */
    double trailingKeep() {
        return Double.isNaN(trailingStopFraction) ? Double.NEGATIVE_INFINITY : 1 - trailingStopFraction;
    }

    /** Time exit delay, {@code Long.MAX_VALUE} without one. */
    long timeExitAfterMillis() {
        return timeExitMillis < 0 ? Long.MAX_VALUE : timeExitMillis;
    }

    /** Take-profit legs: distance above entry as a fraction (ascending) and share of the position. */
    int takeProfitLegs() {
        return takeProfitPcts.length;
    }

    double takeProfitLegLevel(int leg, double entryPrice) {
        return entryPrice * (1 + takeProfitPcts[leg]);
    }

    double takeProfitLegShare(int leg) {
        return takeProfitShares[leg];
    }

    /** Stop legs: distance below entry as a fraction (ascending, so levels descend) and share of the position. */
    int stopLegs() {
        return stopPcts.length;
    }

    double stopLegLevel(int leg, double entryPrice) {
        return entryPrice * (1 - stopPcts[leg]);
    }

    double stopLegShare(int leg) {
        return stopShares[leg];
    }
}
