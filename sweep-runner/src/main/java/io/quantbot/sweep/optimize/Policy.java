package io.quantbot.sweep.optimize;

import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;
import java.util.List;
import java.util.Locale;

/**
 * One exit policy the optimizer tries: take-profit, stop-loss, trailing stop (percent) and time exit (minutes).
 * Each is always on; the search space bounds say how far "off" each can be pushed.
 */
public record Policy(double takeProfitPct, double stopLossPct, double trailingPct, long timeExitMinutes) {
    public Policy {
        if (!(takeProfitPct > 0) || !(stopLossPct > 0 && stopLossPct < 100) || !(trailingPct > 0 && trailingPct < 100)
                || timeExitMinutes < 1) {
            throw new IllegalArgumentException("policy out of range: " + takeProfitPct + ", " + stopLossPct + ", "
                    + trailingPct + ", " + timeExitMinutes);
        }
    }

    public OverlaySet overlaySet() {
        return new OverlaySet(name(), List.of(new Overlay.TakeProfit(takeProfitPct), new Overlay.StopLoss(stopLossPct),
                new Overlay.TrailingStop(trailingPct), new Overlay.TimeExit(timeExitMinutes * 60_000L)));
    }

    public String name() {
        return String.format(Locale.ROOT, "tp%.1f_sl%.1f_tr%.1f_tx%dm", takeProfitPct, stopLossPct, trailingPct,
                timeExitMinutes);
    }
}
