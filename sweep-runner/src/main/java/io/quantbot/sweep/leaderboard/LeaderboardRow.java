package io.quantbot.sweep.leaderboard;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Statistics of net return over one group, the fields of {@code quantbot.storage.v1.LeaderboardRow}.
 *
 * @param keys the group's values, one per {@link Leaderboard#dimensions()} entry
 * @param count tradeable rows of the group
 * @param winRate share of tradeable rows with net return > 0
 * @param skipped rows of the group that were not tradeable
 */
public record LeaderboardRow(List<String> keys, long count, double mean, double p5, double p50, double p95,
        double winRate, long skipped) {
    public LeaderboardRow {
        keys = List.copyOf(requireNonNull(keys, "keys is null"));
    }
}
