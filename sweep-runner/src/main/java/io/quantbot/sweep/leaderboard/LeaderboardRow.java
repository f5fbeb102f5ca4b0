package io.quantbot.sweep.leaderboard;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Statistics of net return over one group, the fields of {@code quantbot.storage.v1.LeaderboardRow}.
 *
 * @param keys the group's values, one per {@link Leaderboard#dimensions()} entry (none for "overall")
 * @param count tradeable rows of the group
 * @param winRate share of tradeable rows with net return > 0
 * @param skipped rows of the group that were not tradeable
 * @param skipReasons the skipped rows by skip reason ({@code no_candles}, {@code entry_after_data}, ...),
 *     sorted by reason; the counts add up to {@code skipped}
 */
public record LeaderboardRow(List<String> keys, long count, double mean, double p5, double p50, double p95,
        double winRate, long skipped, Map<String, Long> skipReasons) {
    public LeaderboardRow {
        keys = List.copyOf(requireNonNull(keys, "keys is null"));
        skipReasons = Collections.unmodifiableSortedMap(new TreeMap<>(requireNonNull(skipReasons, "skipReasons is null")));
    }

    /** The skip reasons as {@code reason=count} joined by {@code separator}, most frequent first; "" without any. */
    public String skipReasonsText(String separator) {
        StringBuilder text = new StringBuilder();
        skipReasons.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(entry -> {
                    if (text.length() > 0) {
                        text.append(separator);
                    }
                    text.append(entry.getKey()).append('=').append(entry.getValue());
                });
        return text.toString();
    }
}
