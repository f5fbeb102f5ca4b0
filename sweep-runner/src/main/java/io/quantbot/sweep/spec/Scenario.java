package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

/**
 * One point of the sweep grid: interval × entry lag × overlay set. The indexes locate it in
 * {@link SweepSpec#intervals()}, {@link SweepSpec#entryLagsMillis()} and {@link SweepSpec#overlaySets()}.
 */
public record Scenario(int index, String id, CandleInterval interval, int intervalIndex, long lagMillis, int lagIndex,
        OverlaySet overlaySet, int overlaySetIndex) {
    public Scenario {
        requireNonNull(id, "id is null");
        requireNonNull(interval, "interval is null");
        requireNonNull(overlaySet, "overlaySet is null");
    }

    /** {@code i=1m/lag=30s/ov=tp50_sl20}: stable for the same grid point whatever the rest of the sweep holds. */
    public static String idOf(CandleInterval interval, long lagMillis, String overlaySetName) {
        return "i=" + interval.label() + "/lag=" + Durations.format(lagMillis) + "/ov=" + overlaySetName;
    }
}
