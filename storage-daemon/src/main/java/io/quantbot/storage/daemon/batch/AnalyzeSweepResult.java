package io.quantbot.storage.daemon.batch;

import java.util.List;

/** Rows and distinct runs read, and the leaderboards. */
public record AnalyzeSweepResult(long rows, long runs, List<Leaderboard> leaderboards) {
    public AnalyzeSweepResult {
        leaderboards = List.copyOf(leaderboards);
    }
}
