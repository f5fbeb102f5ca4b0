package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

/** One problem in a sweep file, located by its path, e.g. {@code overlay_sets[2].overlays[0].pct}. */
public record SpecProblem(String path, String message) {
    public SpecProblem {
        requireNonNull(path, "path is null");
        requireNonNull(message, "message is null");
    }

    @Override
    public String toString() {
        return path + ": " + message;
    }
}
