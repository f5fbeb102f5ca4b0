package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * Leaderboards of a sweep.
 *
 * @param parquetPaths the sweep's sealed run_results files (absolute)
 * @param topN rows per leaderboard (0 = 20)
 */
public record AnalyzeSweepCommand(String sweepId, List<Path> parquetPaths, int topN) {
    public AnalyzeSweepCommand {
        requireNonNull(sweepId, "sweepId is null");
        parquetPaths = List.copyOf(parquetPaths);
    }
}
