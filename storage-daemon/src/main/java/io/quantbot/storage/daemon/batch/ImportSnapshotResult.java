package io.quantbot.storage.daemon.batch;

import java.util.List;

/** One ohlcv_slice per (token, chain, interval) and one alerts artifact when there were calls, plus non-fatal warnings. */
public record ImportSnapshotResult(
        List<ProducedArtifact> artifacts, long files, long candleRows, long callRows, List<ValidationIssue> warnings) {
    public ImportSnapshotResult {
        artifacts = List.copyOf(artifacts);
        warnings = List.copyOf(warnings);
    }
}
