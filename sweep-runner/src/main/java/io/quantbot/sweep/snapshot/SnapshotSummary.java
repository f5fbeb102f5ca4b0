package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a generation wrote.
 *
 * @param oneMinuteCandles generated candles (1m); {@code candleRows} adds the aggregated intervals
 */
public record SnapshotSummary(Path folder, int tokens, long oneMinuteCandles, long candleRows, int calls,
        List<String> callers, int candleFiles, Duration elapsed) {
    public SnapshotSummary {
        requireNonNull(folder, "folder is null");
        callers = List.copyOf(requireNonNull(callers, "callers is null"));
        requireNonNull(elapsed, "elapsed is null");
    }
}
