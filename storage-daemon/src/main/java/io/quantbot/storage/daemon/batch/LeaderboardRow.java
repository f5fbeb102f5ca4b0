package io.quantbot.storage.daemon.batch;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Net-return statistics of one group (tradeable rows only; NaN statistics when the group has none).
 *
 * @param keys the group's values, one per dimension of the leaderboard (none for the "overall" board)
 * @param winRate share of rows with net return above 0
 * @param skipped rows of the group that were not tradeable
 * @param skipReasons the skipped rows by run_results skip_reason, sorted by reason; the counts add up to skipped
 */
public record LeaderboardRow(List<String> keys, long count, double mean, double p5, double p50, double p95, double winRate, long skipped,
        Map<String, Long> skipReasons) {
    public LeaderboardRow {
        keys = List.copyOf(keys);
        skipReasons = Collections.unmodifiableSortedMap(new TreeMap<>(skipReasons));
    }
}
