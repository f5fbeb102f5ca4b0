package io.quantbot.storage.daemon.grpc;

import io.quantbot.storage.daemon.artifact.ArtifactQuery;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.Lineage;
import io.quantbot.storage.daemon.candles.CandleSeries;
import io.quantbot.storage.daemon.candles.CandleService;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RowColumn;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.RunStatus;
import io.quantbot.storage.daemon.run.SealMode;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.ColumnInfo;
import io.quantbot.storage.v1.LineageDirection;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.Provenance;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RowChunk;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Proto &lt;-&gt; domain for ArtifactPort. */
final class ArtifactProtoMapper {
    private ArtifactProtoMapper() {}

    static Artifact toProto(ArtifactRecord record) {
        Artifact.Builder builder = Artifact.newBuilder()
                .setId(record.id())
                .setType(record.type())
                .setSchemaVersion(record.schemaVersion())
                .setLogicalKey(record.logicalKey())
                .setStatus(toProto(record.status()))
                .setPath(record.path())
                .setSidecarPath(record.sidecarPath())
                .setFileHash(record.fileHash())
                .setContentHash(record.contentHash())
                .setRowCount(record.rowCount())
                .setSizeBytes(record.sizeBytes())
                .setMinTsMs(record.minTsMs())
                .setMaxTsMs(record.maxTsMs())
                .setCreatedAtMs(record.createdAtMs())
                .putAllTags(record.tags())
                .addAllInputArtifactIds(record.inputIds())
                .setSupersededBy(record.supersededBy().orElse(""))
                .setProvenance(Provenance.newBuilder()
                        .setWriter(record.provenance().writer())
                        .setWriterVersion(record.provenance().writerVersion())
                        .setParamsJson(record.provenance().paramsJson()));
        for (ColumnSpec column : record.columns()) {
            builder.addColumns(ColumnInfo.newBuilder().setName(column.name()).setType(column.type()));
        }
        return builder.build();
    }

    static io.quantbot.storage.v1.ArtifactStatus toProto(ArtifactStatus status) {
        return switch (status) {
            case ACTIVE -> io.quantbot.storage.v1.ArtifactStatus.ARTIFACT_STATUS_ACTIVE;
            case SUPERSEDED -> io.quantbot.storage.v1.ArtifactStatus.ARTIFACT_STATUS_SUPERSEDED;
            case TOMBSTONED -> io.quantbot.storage.v1.ArtifactStatus.ARTIFACT_STATUS_TOMBSTONED;
        };
    }

    static Optional<ArtifactStatus> toDomain(io.quantbot.storage.v1.ArtifactStatus status) {
        return switch (status) {
            case ARTIFACT_STATUS_ACTIVE -> Optional.of(ArtifactStatus.ACTIVE);
            case ARTIFACT_STATUS_SUPERSEDED -> Optional.of(ArtifactStatus.SUPERSEDED);
            case ARTIFACT_STATUS_TOMBSTONED -> Optional.of(ArtifactStatus.TOMBSTONED);
            case ARTIFACT_STATUS_UNSPECIFIED -> Optional.empty();
            case UNRECOGNIZED -> throw invalid("status", "unknown artifact status");
        };
    }

    static ArtifactQuery toQuery(ListArtifactsRequest request) {
        Set<ArtifactStatus> statuses = EnumSet.noneOf(ArtifactStatus.class);
        toDomain(request.getStatus()).ifPresent(statuses::add);
        for (io.quantbot.storage.v1.ArtifactStatus status : request.getStatusesList()) {
            toDomain(status).ifPresent(statuses::add);
        }
        if (statuses.isEmpty()) {
            statuses.add(ArtifactStatus.ACTIVE);
        }
        return new ArtifactQuery(request.getType().isEmpty() ? Optional.empty() : Optional.of(request.getType()), statuses, request.getTagsMap(),
                request.getFromMs(), request.getToMs());
    }

    static Lineage.Direction toDomain(LineageDirection direction) {
        return switch (direction) {
            case LINEAGE_DIRECTION_UPSTREAM -> Lineage.Direction.UPSTREAM;
            case LINEAGE_DIRECTION_DOWNSTREAM -> Lineage.Direction.DOWNSTREAM;
            case LINEAGE_DIRECTION_BOTH, LINEAGE_DIRECTION_UNSPECIFIED -> Lineage.Direction.BOTH;
            case UNRECOGNIZED -> throw invalid("direction", "unknown lineage direction");
        };
    }

    static Run toProto(RunRecord run) {
        return Run.newBuilder()
                .setRunId(run.runId())
                .setSweepId(run.sweepId())
                .setScenarioId(run.scenarioId())
                .setStatus(toProto(run.status()))
                .setParamsJson(run.paramsJson())
                .addAllInputArtifactIds(run.inputIds())
                .putAllTags(run.tags())
                .setRowCount(run.rowCount())
                .setCommittedChunkSeq(run.committedChunkSeq())
                .setCreatedAtMs(run.createdAtMs())
                .setFinishedAtMs(run.finishedAtMs())
                .putAllSummary(run.summary())
                .setErrorMessage(run.errorMessage())
                .setResultArtifactId(run.resultArtifactId().orElse(""))
                .setIdempotencyKey(run.idempotencyKey().orElse(""))
                .build();
    }

    static io.quantbot.storage.v1.RunStatus toProto(RunStatus status) {
        return switch (status) {
            case RUNNING -> io.quantbot.storage.v1.RunStatus.RUN_STATUS_RUNNING;
            case SUCCEEDED -> io.quantbot.storage.v1.RunStatus.RUN_STATUS_SUCCEEDED;
            case FAILED -> io.quantbot.storage.v1.RunStatus.RUN_STATUS_FAILED;
            case CANCELLED -> io.quantbot.storage.v1.RunStatus.RUN_STATUS_CANCELLED;
            case LOST -> io.quantbot.storage.v1.RunStatus.RUN_STATUS_LOST;
        };
    }

    static Optional<RunStatus> toDomain(io.quantbot.storage.v1.RunStatus status) {
        return switch (status) {
            case RUN_STATUS_RUNNING -> Optional.of(RunStatus.RUNNING);
            case RUN_STATUS_SUCCEEDED -> Optional.of(RunStatus.SUCCEEDED);
            case RUN_STATUS_FAILED -> Optional.of(RunStatus.FAILED);
            case RUN_STATUS_CANCELLED -> Optional.of(RunStatus.CANCELLED);
            case RUN_STATUS_LOST -> Optional.of(RunStatus.LOST);
            case RUN_STATUS_UNSPECIFIED -> Optional.empty();
            case UNRECOGNIZED -> throw invalid("status", "unknown run status");
        };
    }

    static SealMode toDomain(io.quantbot.storage.v1.SealMode mode) {
        return switch (mode) {
            case SEAL_MODE_UNSPECIFIED, SEAL_MODE_RUN -> SealMode.RUN;
            case SEAL_MODE_DEFER -> SealMode.DEFER;
            case SEAL_MODE_SWEEP -> SealMode.SWEEP;
            case UNRECOGNIZED -> throw invalid("seal", "unknown seal mode");
        };
    }

    static Candles toProto(CandleService.CandleResult result) {
        CandleSeries series = result.series();
        Candles.Builder builder = Candles.newBuilder()
                .setToken(result.token())
                .setChain(result.chain())
                .setInterval(result.interval())
                .setSourceInterval(result.sourceInterval())
                .addAllSourceArtifactIds(result.sourceArtifactIds());
        for (int i = 0; i < series.size(); i++) {
            builder.addTsMs(series.ts()[i]);
            builder.addOpen(series.open()[i]);
            builder.addHigh(series.high()[i]);
            builder.addLow(series.low()[i]);
            builder.addClose(series.close()[i]);
            builder.addVolume(series.volume()[i]);
        }
        return builder.build();
    }

    /** A proto row chunk as validated columns; names, types and lengths are checked by the run service. */
    static RowBatch toDomain(RowChunk chunk) {
        if (chunk.getRowCount() < 0 || chunk.getRowCount() > Integer.MAX_VALUE) {
            throw rows("rows.row_count", "row_count must be between 1 and the chunk limit");
        }
        int rowCount = (int) chunk.getRowCount();
        List<RowColumn> columns = new ArrayList<>(chunk.getColumnsCount());
        Set<String> names = new HashSet<>();
        for (Column column : chunk.getColumnsList()) {
            String name = column.getName();
            if (!names.add(name)) {
                throw rows("rows.columns." + name, "column '" + name + "' appears twice in the chunk");
            }
            BitSet nulls = nulls(column, rowCount);
            switch (column.getValuesCase()) {
                case INT64S -> {
                    long[] values = new long[column.getInt64S().getValuesCount()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = column.getInt64S().getValues(i);
                    }
                    columns.add(new RowColumn.Longs(name, values, nulls));
                }
                case DOUBLES -> {
                    double[] values = new double[column.getDoubles().getValuesCount()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = column.getDoubles().getValues(i);
                    }
                    columns.add(new RowColumn.Doubles(name, values, nulls));
                }
                case BOOLS -> {
                    boolean[] values = new boolean[column.getBools().getValuesCount()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = column.getBools().getValues(i);
                    }
                    columns.add(new RowColumn.Booleans(name, values, nulls));
                }
                case STRINGS -> {
                    String[] values = column.getStrings().getValuesList().toArray(String[]::new);
                    applyNulls(values, nulls);
                    columns.add(new RowColumn.Strings(name, values));
                }
                case DICTIONARY_STRINGS -> {
                    var dictionary = column.getDictionaryStrings();
                    String[] values = new String[dictionary.getIndicesCount()];
                    for (int i = 0; i < values.length; i++) {
                        int index = dictionary.getIndices(i);
                        if (index < 0 || index >= dictionary.getDictionaryCount()) {
                            throw rows("rows.columns." + name, "dictionary index " + index + " in row " + i + " is outside the dictionary of "
                                    + dictionary.getDictionaryCount() + " values");
                        }
                        values[i] = dictionary.getDictionary(index);
                    }
                    applyNulls(values, nulls);
                    columns.add(new RowColumn.Strings(name, values));
                }
                case VALUES_NOT_SET -> throw rows("rows.columns." + name, "column '" + name + "' carries no values");
            }
        }
        return RowBatch.of(rowCount, columns);
    }

    private static BitSet nulls(Column column, int rowCount) {
        byte[] bitmap = column.getNullBitmap().toByteArray();
        if (bitmap.length == 0) {
            return new BitSet();
        }
        if (bitmap.length < (rowCount + 7) / 8) {
            throw rows("rows.columns." + column.getName() + ".null_bitmap", "null_bitmap has " + bitmap.length + " bytes; " + rowCount
                    + " rows need " + (rowCount + 7) / 8);
        }
        return BitSet.valueOf(bitmap);
    }

    private static void applyNulls(String[] values, BitSet nulls) {
        for (int row = nulls.nextSetBit(0); row >= 0 && row < values.length; row = nulls.nextSetBit(row + 1)) {
            values[row] = null;
        }
    }

    private static StorageException rows(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ROWS, message).violation(field, message).build();
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }
}
