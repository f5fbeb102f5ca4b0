package io.quantbot.sweep.leaderboard;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A named grouping of results, the fields of {@code quantbot.storage.v1.Leaderboard}: the daemon's
 * AnalyzeSweep answer maps into it, and so does the local calculation, so both print the same way.
 *
 * @param rows sorted by mean net return, best first
 */
public record Leaderboard(String name, List<String> dimensions, List<LeaderboardRow> rows) {
    public Leaderboard {
        requireNonNull(name, "name is null");
        dimensions = List.copyOf(requireNonNull(dimensions, "dimensions is null"));
        rows = List.copyOf(requireNonNull(rows, "rows is null"));
        for (LeaderboardRow row : rows) {
            if (row.keys().size() != dimensions.size()) {
                throw new IllegalArgumentException("row keys " + row.keys() + " do not match dimensions " + dimensions);
            }
        }
    }
}
