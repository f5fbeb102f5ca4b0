package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** One leaderboard (by_overlay, by_lag_interval, by_caller, by_scenario), best mean net return first. */
public record Leaderboard(String name, List<String> dimensions, List<LeaderboardRow> rows) {
    public Leaderboard {
        requireNonNull(name, "name is null");
        dimensions = List.copyOf(dimensions);
        rows = List.copyOf(rows);
    }
}
