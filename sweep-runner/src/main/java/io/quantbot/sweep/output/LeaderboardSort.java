package io.quantbot.sweep.output;

import io.quantbot.sweep.leaderboard.LeaderboardRow;
import java.util.Comparator;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** {@code --sort}: the statistic leaderboard rows are ordered by, best (largest) first. */
public enum LeaderboardSort {
    MEAN(LeaderboardRow::mean),
    P5(LeaderboardRow::p5),
    P50(LeaderboardRow::p50),
    P95(LeaderboardRow::p95),
    WIN_RATE(LeaderboardRow::winRate),
    COUNT(row -> row.count()),
    SKIPPED(row -> row.skipped());

    private final ToDoubleFunction<LeaderboardRow> statistic;

    LeaderboardSort(ToDoubleFunction<LeaderboardRow> statistic) {
        this.statistic = statistic;
    }

    /** Descending by the statistic, NaN last, then by keys so ties print in a stable order. */
    public Comparator<LeaderboardRow> bestFirst() {
        return Comparator.comparingDouble((LeaderboardRow row) -> {
            double value = statistic.applyAsDouble(row);
            return Double.isNaN(value) ? Double.NEGATIVE_INFINITY : value;
        }).reversed().thenComparing(row -> String.join("\u0000", row.keys()));
    }

    /** The name used on the command line and in output, e.g. {@code win_rate}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
