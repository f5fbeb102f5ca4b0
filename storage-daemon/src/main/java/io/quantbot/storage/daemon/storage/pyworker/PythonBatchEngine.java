package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.batch.AnalyzeSweepCommand;
import io.quantbot.storage.daemon.batch.AnalyzeSweepResult;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.BatchEngine;
import io.quantbot.storage.daemon.batch.ColumnInfo;
import io.quantbot.storage.daemon.batch.GenerateFeaturesCommand;
import io.quantbot.storage.daemon.batch.GenerateReportCommand;
import io.quantbot.storage.daemon.batch.ImportSnapshotCommand;
import io.quantbot.storage.daemon.batch.ImportSnapshotResult;
import io.quantbot.storage.daemon.batch.SnapshotUploads;
import io.quantbot.storage.daemon.batch.Leaderboard;
import io.quantbot.storage.daemon.batch.LeaderboardRow;
import io.quantbot.storage.daemon.batch.ProducedArtifact;
import io.quantbot.storage.daemon.batch.PublishArtifactCommand;
import io.quantbot.storage.daemon.batch.QueryCommand;
import io.quantbot.storage.daemon.batch.QueryFormat;
import io.quantbot.storage.daemon.batch.QueryResult;
import io.quantbot.storage.daemon.batch.RunSummary;
import io.quantbot.storage.daemon.batch.ValidationIssue;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.worker.v1.AnalyzeSweepOp;
import io.quantbot.storage.worker.v1.GenerateFeaturesOp;
import io.quantbot.storage.worker.v1.GenerateReportOp;
import io.quantbot.storage.worker.v1.ImportSnapshotOp;
import io.quantbot.storage.worker.v1.InputArtifact;
import io.quantbot.storage.worker.v1.Issue;
import io.quantbot.storage.worker.v1.PublishArtifactOp;
import io.quantbot.storage.worker.v1.QueryOp;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Result;
import io.quantbot.storage.worker.v1.RunInfo;
import io.quantbot.storage.worker.v1.View;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * {@link BatchEngine} over the worker pool: checks client-named source paths against the import
 * roots, turns commands into worker requests and worker results into domain records. With the pool
 * itself, the only place that builds worker protocol messages.
 */
@Singleton
final class PythonBatchEngine implements BatchEngine {
    private final PythonWorkerPool pool;
    private final ImportRoots importRoots;
    private final Path stagingDir;
    private final Duration queryTimeout;

    @Inject
    PythonBatchEngine(PythonWorkerPool pool, PythonWorkerConfig config, DatabaseConfig database) {
        this.pool = requireNonNull(pool, "pool is null");
        this.importRoots = new ImportRoots(requireNonNull(config, "config is null").importRoots());
        this.stagingDir = requireNonNull(database, "database is null").stagingDir().toAbsolutePath().normalize();
        this.queryTimeout = config.queryTimeout();
    }

    @Override
    public CompletableFuture<ImportSnapshotResult> importSnapshot(ImportSnapshotCommand command, BatchCallOptions options) {
        return call(() -> {
            // An upload is staged by the daemon under staging/uploads and may only come from there; a client's
            // ImportSnapshot names a folder in an import root and may never reach staging.
            Path source = command.uploaded()
                    ? new ImportRoots(List.of(SnapshotUploads.uploadsDir(stagingDir))).resolve(command.sourceDir(), "source_dir", List.of())
                    : importRoots.resolve(command.sourceDir(), "source_dir", List.of());
            String name = command.snapshotName().isBlank() ? String.valueOf(source.getFileName()) : command.snapshotName();
            return Request.newBuilder().setImportSnapshot(ImportSnapshotOp.newBuilder()
                            .setSourceDir(source.toString())
                            .setSnapshotName(name)
                            .setDryRun(command.dryRun())
                            .setUploaded(command.uploaded()))
                    .build();
        }, options, Result.KindCase.IMPORT_SNAPSHOT, result -> {
            var imported = result.getImportSnapshot();
            List<ProducedArtifact> artifacts = new ArrayList<>();
            for (var artifact : imported.getArtifactsList()) {
                artifacts.add(artifact(artifact));
            }
            return new ImportSnapshotResult(artifacts, imported.getFiles(), imported.getCandleRows(), imported.getCallRows(),
                    issues(imported.getWarningsList()));
        });
    }

    @Override
    public CompletableFuture<ProducedArtifact> publishArtifact(PublishArtifactCommand command, BatchCallOptions options) {
        return call(() -> {
            // Rows a client streams are written to staging by the daemon, so staging is allowed too.
            Path source = importRoots.resolve(command.sourcePath(), "source_path", List.of(stagingDir));
            return Request.newBuilder().setPublishArtifact(PublishArtifactOp.newBuilder()
                            .setType(command.type())
                            .setSchemaVersion(command.schemaVersion())
                            .setLogicalKey(command.logicalKey())
                            .setSourcePath(source.toString())
                            .setSourceFormat(command.format()))
                    .build();
        }, options, Result.KindCase.ARTIFACT, result -> artifact(result.getArtifact()));
    }

    @Override
    public CompletableFuture<QueryResult> query(QueryCommand command, BatchCallOptions options) {
        // Its own default, shorter than python-worker.default-timeout: a runaway SELECT frees its worker sooner.
        return call(() -> {
            QueryOp.Builder op = QueryOp.newBuilder()
                    .setSql(command.sql())
                    .setFormat(command.format() == QueryFormat.ARROW ? "arrow" : "json")
                    .setRowLimit(command.rowLimit());
            command.views().forEach((name, paths) -> op.addViews(View.newBuilder()
                    .setName(name)
                    .addAllParquetPaths(absolute(paths, "view " + name))));
            return Request.newBuilder().setQuery(op).build();
        }, options.orTimeout(queryTimeout), Result.KindCase.QUERY, result -> {
            var query = result.getQuery();
            Optional<String> json = query.getDataCase() == io.quantbot.storage.worker.v1.QueryResult.DataCase.JSON_ROWS
                    ? Optional.of(query.getJsonRows()) : Optional.empty();
            Optional<byte[]> arrow = query.getDataCase() == io.quantbot.storage.worker.v1.QueryResult.DataCase.ARROW_IPC
                    ? Optional.of(query.getArrowIpc().toByteArray()) : Optional.empty();
            if (json.isEmpty() && arrow.isEmpty()) {
                throw unexpected("query", "a query result without rows data");
            }
            return new QueryResult(columns(query.getColumnsList()), query.getRowCount(), query.getTruncated(), json, arrow);
        });
    }

    @Override
    public CompletableFuture<AnalyzeSweepResult> analyzeSweep(AnalyzeSweepCommand command, BatchCallOptions options) {
        return call(() -> Request.newBuilder().setAnalyzeSweep(AnalyzeSweepOp.newBuilder()
                                .setSweepId(command.sweepId())
                                .addAllParquetPaths(absolute(command.parquetPaths(), "parquet_paths"))
                                .setTopN(command.topN()))
                        .build(),
                options, Result.KindCase.ANALYZE_SWEEP, result -> {
                    var analysis = result.getAnalyzeSweep();
                    List<Leaderboard> boards = new ArrayList<>();
                    for (var board : analysis.getLeaderboardsList()) {
                        List<LeaderboardRow> rows = new ArrayList<>();
                        for (var row : board.getRowsList()) {
                            rows.add(new LeaderboardRow(row.getKeysList(), row.getCount(), row.getMean(), row.getP5(), row.getP50(),
                                    row.getP95(), row.getWinRate(), row.getSkipped(), row.getSkipReasonsMap()));
                        }
                        boards.add(new Leaderboard(board.getName(), board.getDimensionsList(), rows));
                    }
                    return new AnalyzeSweepResult(analysis.getRows(), analysis.getRuns(), boards);
                });
    }

    @Override
    public CompletableFuture<ProducedArtifact> generateFeatures(GenerateFeaturesCommand command, BatchCallOptions options) {
        return call(() -> {
            GenerateFeaturesOp.Builder op = GenerateFeaturesOp.newBuilder()
                    .addAllWindows(command.windows())
                    .setLogicalKey(command.logicalKey());
            command.inputs().forEach((id, path) -> op.addInputs(InputArtifact.newBuilder()
                    .setArtifactId(id)
                    .setParquetPath(absolute(List.of(path), "input " + id).get(0))));
            return Request.newBuilder().setGenerateFeatures(op).build();
        }, options, Result.KindCase.ARTIFACT, result -> artifact(result.getArtifact()));
    }

    @Override
    public CompletableFuture<ProducedArtifact> generateReport(GenerateReportCommand command, BatchCallOptions options) {
        return call(() -> {
            GenerateReportOp.Builder op = GenerateReportOp.newBuilder()
                    .setSweepId(command.sweepId())
                    .setTitle(command.title())
                    .addAllParquetPaths(absolute(command.parquetPaths(), "parquet_paths"))
                    .putAllAbout(command.about())
                    .setSpecText(command.specText())
                    .putAllFacts(command.facts());
            for (RunSummary run : command.runs()) {
                op.addRuns(RunInfo.newBuilder()
                        .setRunId(run.runId())
                        .setScenarioId(run.scenarioId())
                        .setStatus(run.status())
                        .setParamsJson(run.paramsJson())
                        .putAllSummary(run.summary())
                        .setErrorMessage(run.errorMessage()));
            }
            return Request.newBuilder().setGenerateReport(op).build();
        }, options, Result.KindCase.ARTIFACT, result -> artifact(result.getArtifact()));
    }

    /** Builds the request (failures become a failed future), submits it, checks the kind of result, converts it. */
    private <T> CompletableFuture<T> call(RequestBuilder build, BatchCallOptions options, Result.KindCase expected, Function<Result, T> convert) {
        requireNonNull(options, "options is null");
        Request request;
        try {
            request = build.build();
        } catch (StorageException e) {
            return CompletableFuture.failedFuture(e);
        }
        String op = request.getOpCase().name().toLowerCase(Locale.ROOT);
        return pool.submit(request, options).thenApply(result -> {
            if (result.getKindCase() != expected) {
                throw unexpected(op, "a " + result.getKindCase().name().toLowerCase(Locale.ROOT) + " result");
            }
            return convert.apply(result);
        });
    }

    private ProducedArtifact artifact(io.quantbot.storage.worker.v1.ProducedArtifact artifact) {
        Optional<Path> staged = Optional.empty();
        if (!artifact.getStagingPath().isEmpty()) {
            Path path = Path.of(artifact.getStagingPath()).toAbsolutePath().normalize();
            // Whatever registers this file moves it into the lake: it must be the worker's own output.
            if (!path.startsWith(stagingDir) || path.equals(stagingDir)) {
                throw unexpected("an artifact", "a file outside the staging folder (" + artifact.getStagingPath() + ")");
            }
            staged = Optional.of(path);
        }
        return new ProducedArtifact(
                artifact.getType(),
                artifact.getSchemaVersion(),
                artifact.getLogicalKey(),
                staged,
                artifact.getFileHash(),
                artifact.getContentHash(),
                artifact.getRowCount(),
                artifact.getSizeBytes(),
                artifact.getMinTsMs(),
                artifact.getMaxTsMs(),
                columns(artifact.getColumnsList()),
                artifact.getTagsMap(),
                artifact.getParamsJson(),
                artifact.getExtension());
    }

    private static List<ColumnInfo> columns(List<io.quantbot.storage.v1.ColumnInfo> columns) {
        List<ColumnInfo> result = new ArrayList<>(columns.size());
        for (var column : columns) {
            result.add(new ColumnInfo(column.getName(), column.getType()));
        }
        return result;
    }

    private static List<ValidationIssue> issues(List<Issue> issues) {
        List<ValidationIssue> result = new ArrayList<>(issues.size());
        for (Issue issue : issues) {
            result.add(new ValidationIssue(issue.getFile(), issue.getRow(), issue.getColumn(), issue.getMessage()));
        }
        return result;
    }

    /** Parquet files the daemon names (lake, staging); the worker checks they lie in its allowed folders. */
    private static List<String> absolute(List<Path> paths, String what) {
        List<String> result = new ArrayList<>(paths.size());
        for (Path path : paths) {
            if (!path.isAbsolute()) {
                throw StorageException.of(ErrorCode.INVALID_ARGUMENT, what + ": '" + path + "' is not an absolute path");
            }
            result.add(path.normalize().toString());
        }
        return result;
    }

    private static StorageException unexpected(String op, String what) {
        return StorageException.of(ErrorCode.WORKER_FAILED, "the python worker answered " + op + " with " + what);
    }

    @FunctionalInterface
    private interface RequestBuilder {
        Request build();
    }
}
