package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardRow;
import io.quantbot.sweep.spec.Durations;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * AnalyzeSweep's leaderboards in the runner's own model, so they print exactly like local ones. The daemon
 * groups lag × interval as {@code (lag_ms, interval)} with the lag in milliseconds; it is shown as
 * {@code (interval, lag)} with the lag as a duration ({@code 30s}), as the local calculation does.
 */
public final class Leaderboards {
    private Leaderboards() {}

    public static List<Leaderboard> fromProto(AnalyzeSweepResponse response) {
        requireNonNull(response, "response is null");
        List<Leaderboard> leaderboards = new ArrayList<>();
        for (io.quantbot.storage.v1.Leaderboard board : response.getLeaderboardsList()) {
            leaderboards.add(fromProto(board));
        }
        return leaderboards;
    }

    /** The named leaderboard, if the answer has it. */
    public static Optional<Leaderboard> named(List<Leaderboard> leaderboards, String name) {
        return leaderboards.stream().filter(board -> board.name().equals(name)).findFirst();
    }

    static Leaderboard fromProto(io.quantbot.storage.v1.Leaderboard board) {
        List<String> dimensions = board.getDimensionsList();
        boolean lagInterval = dimensions.equals(List.of("lag_ms", "interval"));
        List<LeaderboardRow> rows = new ArrayList<>(board.getRowsCount());
        for (io.quantbot.storage.v1.LeaderboardRow row : board.getRowsList()) {
            List<String> keys = row.getKeysList();
            if (lagInterval) {
                keys = List.of(keys.get(1), lagLabel(keys.get(0)));
            }
            rows.add(new LeaderboardRow(keys, row.getCount(), row.getMean(), row.getP5(), row.getP50(), row.getP95(),
                    row.getWinRate(), row.getSkipped(), row.getSkipReasonsMap()));
        }
        return new Leaderboard(board.getName(), lagInterval ? List.of("interval", "lag") : dimensions, rows);
    }

    private static String lagLabel(String millis) {
        try {
            return Durations.format(Long.parseLong(millis));
        }
        catch (IllegalArgumentException notMillis) {
            return millis;
        }
    }
}
