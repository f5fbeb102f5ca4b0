package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;

/**
 * An overlay set compiled to the primitives the backtest loop checks per candle. Absent overlays
 * are encoded so that they can never trigger (no branches on "is it set" in the loop).
 */
public final class ExitPlan {
    private final String name;
    private final double takeProfitFraction;
    private final double stopLossFraction;
    private final double trailingStopFraction;
    private final long timeExitMillis;

    private ExitPlan(String name, double takeProfitFraction, double stopLossFraction, double trailingStopFraction,
            long timeExitMillis) {
        this.name = name;
        this.takeProfitFraction = takeProfitFraction;
        this.stopLossFraction = stopLossFraction;
        this.trailingStopFraction = trailingStopFraction;
        this.timeExitMillis = timeExitMillis;
    }

    public static ExitPlan of(OverlaySet overlaySet) {
        requireNonNull(overlaySet, "overlaySet is null");
        double takeProfit = Double.NaN;
        double stopLoss = Double.NaN;
        double trailing = Double.NaN;
        long timeExit = -1;
        for (Overlay overlay : overlaySet.overlays()) {
            if (overlay instanceof Overlay.TakeProfit takeProfitOverlay) {
                takeProfit = takeProfitOverlay.fraction();
            }
            else if (overlay instanceof Overlay.StopLoss stopLossOverlay) {
                stopLoss = stopLossOverlay.fraction();
            }
            else if (overlay instanceof Overlay.TrailingStop trailingOverlay) {
                trailing = trailingOverlay.fraction();
            }
            else if (overlay instanceof Overlay.TimeExit timeExitOverlay) {
                timeExit = timeExitOverlay.afterMillis();
            }
        }
        return new ExitPlan(overlaySet.name(), takeProfit, stopLoss, trailing, timeExit);
    }

    public String name() {
        return name;
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
}
