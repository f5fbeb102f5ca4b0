package io.quantbot.storage.daemon.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Deadline;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.batch.AnalyzeSweepResult;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.BatchOperations;
import io.quantbot.storage.daemon.batch.ProducedArtifact;
import io.quantbot.storage.daemon.batch.QueryResult;
import io.quantbot.storage.daemon.batch.ValidationIssue;
import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ColumnInfo;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.Leaderboard;
import io.quantbot.storage.v1.LeaderboardRow;
import io.quantbot.storage.v1.QueryResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** gRPC call context → batch call options, and batch results → proto. */
final class BatchCalls {
    private BatchCalls() {}

    /** The caller's remaining deadline and a listener on its cancellation, in plain Java for the batch engine. */
    static BatchCallOptions options() {
        Context context = Context.current();
        Deadline deadline = context.getDeadline();
        BatchCallOptions options = deadline == null ? BatchCallOptions.none()
                : BatchCallOptions.withTimeout(Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
        return options.cancelledBy(listener -> context.addListener(cancelled -> listener.run(), Runnable::run));
    }

    static ImportSnapshotResponse toProto(BatchOperations.ImportOutcome outcome) {
        ImportSnapshotResponse.Builder response = ImportSnapshotResponse.newBuilder()
                .setFiles(outcome.files())
                .setCandleRows(outcome.candleRows())
                .setCallRows(outcome.callRows())
                .setDeduped(outcome.deduped());
        for (ArtifactRecord record : outcome.artifacts()) {
            response.addArtifacts(ArtifactProtoMapper.toProto(record));
        }
        for (ProducedArtifact planned : outcome.planned()) {
            response.addArtifacts(plannedToProto(planned));
        }
        for (ValidationIssue warning : outcome.warnings()) {
            response.addWarnings(io.quantbot.storage.v1.ValidationIssue.newBuilder()
                    .setFile(warning.file()).setRow(warning.row()).setColumn(warning.column()).setMessage(warning.message()));
        }
        return response.build();
    }

    /** A dry run's planned artifact: everything but an id and a path, since nothing was written. */
    private static Artifact plannedToProto(ProducedArtifact planned) {
        Artifact.Builder artifact = Artifact.newBuilder()
                .setType(planned.type())
                .setSchemaVersion(planned.schemaVersion())
                .setLogicalKey(planned.logicalKey())
                .setContentHash(planned.contentHash())
                .setRowCount(planned.rowCount())
                .setMinTsMs(planned.minTsMs())
                .setMaxTsMs(planned.maxTsMs())
                .putAllTags(planned.tags());
        planned.columns().forEach(column -> artifact.addColumns(ColumnInfo.newBuilder().setName(column.name()).setType(column.type())));
        return artifact.build();
    }

    static QueryResponse toProto(QueryResult result) {
        QueryResponse.Builder response = QueryResponse.newBuilder().setRowCount(result.rowCount()).setTruncated(result.truncated());
        result.columns().forEach(column -> response.addColumns(ColumnInfo.newBuilder().setName(column.name()).setType(column.type())));
        result.jsonRows().ifPresent(response::setJsonRows);
        result.arrowIpc().ifPresent(bytes -> response.setArrowIpc(ByteString.copyFrom(bytes)));
        return response.build();
    }

    static AnalyzeSweepResponse toProto(String sweepId, AnalyzeSweepResult result) {
        AnalyzeSweepResponse.Builder response = AnalyzeSweepResponse.newBuilder().setSweepId(sweepId).setRuns(result.runs()).setRows(result.rows());
        for (io.quantbot.storage.daemon.batch.Leaderboard board : result.leaderboards()) {
            Leaderboard.Builder proto = Leaderboard.newBuilder().setName(board.name()).addAllDimensions(board.dimensions());
            for (io.quantbot.storage.daemon.batch.LeaderboardRow row : board.rows()) {
                proto.addRows(LeaderboardRow.newBuilder()
                        .addAllKeys(row.keys())
                        .setCount(row.count())
                        .setMean(row.mean())
                        .setP5(row.p5())
                        .setP50(row.p50())
                        .setP95(row.p95())
                        .setWinRate(row.winRate())
                        .setSkipped(row.skipped())
                        .putAllSkipReasons(row.skipReasons()));
            }
            response.addLeaderboards(proto);
        }
        return response.build();
    }
}
