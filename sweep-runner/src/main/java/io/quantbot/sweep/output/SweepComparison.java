package io.quantbot.sweep.output;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardRow;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two sweeps' leaderboards side by side: one row per group found in either, with both sweeps' trades,
 * mean and win rate and the change from A to B ({@code delta = B - A}; empty when a side lacks the group).
 * Rows are ordered by B's mean, best first, then A's.
 */
public final class SweepComparison {
    private final String sweepA;
    private final String sweepB;
    private final int top;

    /** @param top rows kept per leaderboard; 0 keeps all */
    public SweepComparison(String sweepA, String sweepB, int top) {
        this.sweepA = requireNonNull(sweepA, "sweepA is null");
        this.sweepB = requireNonNull(sweepB, "sweepB is null");
        if (top < 0) {
            throw new IllegalArgumentException("top must be >= 0");
        }
        this.top = top;
    }

    /** A joined row: the group's keys and each side's row, if any. */
    public record Pair(List<String> keys, LeaderboardRow a, LeaderboardRow b) {
        public double deltaMean() {
            return a == null || b == null ? Double.NaN : b.mean() - a.mean();
        }

        public double deltaWinRate() {
            return a == null || b == null ? Double.NaN : b.winRate() - a.winRate();
        }
    }

    public List<Pair> join(Leaderboard a, Leaderboard b) {
        Map<List<String>, LeaderboardRow[]> joined = new LinkedHashMap<>();
        for (LeaderboardRow row : a.rows()) {
            joined.computeIfAbsent(row.keys(), keys -> new LeaderboardRow[2])[0] = row;
        }
        for (LeaderboardRow row : b.rows()) {
            joined.computeIfAbsent(row.keys(), keys -> new LeaderboardRow[2])[1] = row;
        }
        List<Pair> pairs = new ArrayList<>();
        joined.forEach((keys, rows) -> pairs.add(new Pair(keys, rows[0], rows[1])));
        pairs.sort(Comparator.comparingDouble((Pair pair) -> -meanOrWorst(pair.b()))
                .thenComparingDouble(pair -> -meanOrWorst(pair.a()))
                .thenComparing(pair -> String.join("\u0000", pair.keys())));
        return top == 0 || pairs.size() <= top ? pairs : pairs.subList(0, top);
    }

    /** One table per leaderboard, its dimensions as columns. */
    public Listing table(Leaderboard a, Leaderboard b) {
        List<Listing.Column> columns = new ArrayList<>();
        for (String dimension : a.dimensions()) {
            columns.add(new Listing.Column(dimension, Listing.Kind.TEXT));
        }
        columns.addAll(valueColumns());
        List<List<Object>> rows = new ArrayList<>();
        List<Pair> pairs = join(a, b);
        for (Pair pair : pairs) {
            List<Object> values = new ArrayList<>(pair.keys());
            values.addAll(values(pair));
            rows.add(values);
        }
        return new Listing(a.name() + ": A = " + sweepA + ", B = " + sweepB + " (" + pairs.size() + " groups, by B's mean; delta = B - A)",
                columns, rows);
    }

    /** Every leaderboard in one listing (JSON, CSV): leaderboard, dimensions and keys joined with '|'. */
    public Listing flat(List<Leaderboard[]> boards) {
        List<Listing.Column> columns = new ArrayList<>(List.of(new Listing.Column("leaderboard", Listing.Kind.TEXT),
                new Listing.Column("dimensions", Listing.Kind.TEXT), new Listing.Column("keys", Listing.Kind.TEXT)));
        columns.addAll(valueColumns());
        List<List<Object>> rows = new ArrayList<>();
        for (Leaderboard[] pair : boards) {
            for (Pair joined : join(pair[0], pair[1])) {
                List<Object> values = new ArrayList<>(List.of(pair[0].name(), String.join("|", pair[0].dimensions()),
                        String.join("|", joined.keys())));
                values.addAll(values(joined));
                rows.add(values);
            }
        }
        return new Listing("comparison of " + sweepA + " and " + sweepB, columns, rows);
    }

    private static List<Listing.Column> valueColumns() {
        return List.of(new Listing.Column("trades_a", Listing.Kind.INTEGER), new Listing.Column("trades_b", Listing.Kind.INTEGER),
                new Listing.Column("mean_a", Listing.Kind.RETURN), new Listing.Column("mean_b", Listing.Kind.RETURN),
                new Listing.Column("delta_mean", Listing.Kind.RETURN), new Listing.Column("win_a", Listing.Kind.PERCENT),
                new Listing.Column("win_b", Listing.Kind.PERCENT), new Listing.Column("delta_win", Listing.Kind.RETURN));
    }

    private static List<Object> values(Pair pair) {
        List<Object> values = new ArrayList<>();
        values.add(pair.a() == null ? null : pair.a().count());
        values.add(pair.b() == null ? null : pair.b().count());
        values.add(pair.a() == null ? null : pair.a().mean());
        values.add(pair.b() == null ? null : pair.b().mean());
        values.add(pair.deltaMean());
        values.add(pair.a() == null ? null : pair.a().winRate());
        values.add(pair.b() == null ? null : pair.b().winRate());
        values.add(pair.deltaWinRate());
        return values;
    }

    private static double meanOrWorst(LeaderboardRow row) {
        return row == null || Double.isNaN(row.mean()) ? Double.NEGATIVE_INFINITY : row.mean();
    }
}
