package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.stream.Collectors;

/** A named combination of overlays; the first one to hit closes the trade. */
public record OverlaySet(String name, List<Overlay> overlays) {
    public OverlaySet {
        requireNonNull(name, "name is null");
        overlays = List.copyOf(requireNonNull(overlays, "overlays is null"));
    }

    /** The name used when the sweep file gives none: {@code tp50_sl20}, or {@code hold} for no overlays. */
    public static String derivedName(List<Overlay> overlays) {
        if (overlays.isEmpty()) {
            return "hold";
        }
        return overlays.stream().map(Overlay::label).collect(Collectors.joining("_"));
    }
}
