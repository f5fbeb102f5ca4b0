package io.quantbot.storage.daemon.batch;

import java.util.List;

/**
 * Net-return statistics of one group (tradeable rows only; NaN statistics when the group has none).
 *
 * @param keys the group's values, one per dimension of the leaderboard
 * @param winRate share of rows with net return above 0
 * @param skipped rows of the group that were not tradeable
 */
public record LeaderboardRow(List<String> keys, long count, double mean, double p5, double p50, double p95, double winRate, long skipped) {
    public LeaderboardRow {
        keys = List.copyOf(keys);
    }
}
