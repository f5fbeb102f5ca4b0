package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.artifact.ArtifactLocation;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.artifact.Provenance;
import io.quantbot.storage.daemon.artifact.Registration;
import io.quantbot.storage.daemon.artifact.StagedArtifact;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.info.DaemonInfo;
import io.quantbot.storage.daemon.info.DaemonInfoService;
import io.quantbot.storage.daemon.input.InputText;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.run.RunRecord;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The coarse ArtifactPort calls: the batch engine does the work on files, this service resolves the
 * artifacts a call names, and registers what the engine produced in the catalog (with tags, lineage
 * and provenance). A failed call registers nothing.
 */
@Singleton
public final class BatchOperations {
    private static final Pattern VIEW_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final List<Integer> DEFAULT_WINDOWS = List.of(5, 20, 60);
    /** The longest sweep spec a report prints (the worker refuses longer ones too). */
    public static final int MAX_SPEC_CHARS = 256 * 1024;

    private final BatchEngine engine;
    private final LakeCatalog catalog;
    private final RunLedger runs;
    private final DaemonInfoService info;

    @Inject
    public BatchOperations(BatchEngine engine, LakeCatalog catalog, RunLedger runs, DaemonInfoService info) {
        this.engine = requireNonNull(engine, "engine is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.runs = requireNonNull(runs, "runs is null");
        this.info = requireNonNull(info, "info is null");
    }

    /** What ImportSnapshot answers: registered (or, on a dry run, planned) artifacts and the counts. */
    public record ImportOutcome(List<ArtifactRecord> artifacts, List<ProducedArtifact> planned, long files, long candleRows, long callRows,
            long deduped, List<ValidationIssue> warnings) {}

    public CompletableFuture<ImportOutcome> importSnapshot(String sourceDir, String snapshotName, Map<String, String> tags, boolean dryRun,
            BatchCallOptions options) {
        if (sourceDir.isEmpty()) {
            throw invalid("source_dir", "source_dir is required: a folder inside one of the daemon's import roots");
        }
        Path source = InputText.path("source_dir", sourceDir, InputText.PathKind.ABSOLUTE_OR_RELATIVE);
        InputText.optionalName("snapshot_name", snapshotName, 100);
        checkTags(tags);
        String name = snapshotName.isEmpty() ? (source.getFileName() == null ? "" : source.getFileName().toString()) : snapshotName;
        return runImport(new ImportSnapshotCommand(source, name, dryRun, false), tags, dryRun, options);
    }

    /**
     * Imports a folder UploadSnapshot staged (see {@link SnapshotUploads}); the header was checked there.
     * The engine accepts it only inside the daemon's own uploads folder, never from a client's path.
     */
    CompletableFuture<ImportOutcome> importUploaded(Path folder, String snapshotName, Map<String, String> tags, boolean dryRun,
            BatchCallOptions options) {
        return runImport(new ImportSnapshotCommand(folder, snapshotName, dryRun, true), tags, dryRun, options);
    }

    private CompletableFuture<ImportOutcome> runImport(ImportSnapshotCommand command, Map<String, String> tags, boolean dryRun,
            BatchCallOptions options) {
        return engine.importSnapshot(command, options).thenCompose(result -> {
            if (dryRun) {
                return CompletableFuture.completedFuture(new ImportOutcome(List.of(), result.artifacts(), result.files(), result.candleRows(),
                        result.callRows(), 0, result.warnings()));
            }
            List<StagedArtifact> staged = new ArrayList<>();
            for (ProducedArtifact produced : result.artifacts()) {
                staged.add(toStaged(produced, tags, List.of(), "python-worker/import_snapshot", true));
            }
            return catalog.registerAll(staged).thenApply(registrations -> new ImportOutcome(
                    registrations.stream().map(Registration::artifact).toList(), List.of(), result.files(), result.candleRows(), result.callRows(),
                    registrations.stream().filter(Registration::deduped).count(), result.warnings()));
        });
    }

    /** Publishes a file (in an import root, or staged by the daemon from a stream) as one artifact. */
    public CompletableFuture<Registration> publish(PublishRequest request, Path source, String format, BatchCallOptions options) {
        if (!TYPE.matcher(request.type()).matches()) {
            throw invalid("header.type", "type must match [a-z][a-z0-9_]{0,63}, e.g. ohlcv_slice, alerts, run_results or your own");
        }
        InputText.name("header.logical_key", request.logicalKey(), 512);
        request.writer().ifPresent(writer -> InputText.optionalName("header.writer", writer, 256));
        if (request.type().equals(ArtifactTypes.REPORT_TYPE)) {
            throw invalid("header.type", "report artifacts are made by GenerateReport, not published");
        }
        checkTags(request.tags());
        for (String input : request.inputIds()) {
            requireArtifact(input);
        }
        PublishArtifactCommand command = new PublishArtifactCommand(request.type(), request.schemaVersion(), request.logicalKey(), source, format);
        return engine.publishArtifact(command, options).thenCompose(produced -> catalog.register(
                toStaged(produced, request.tags(), request.inputIds(), request.writer().orElse("python-worker/publish_artifact"),
                        request.supersedeExisting())));
    }

    /** The header of a PublishArtifact call in domain terms. */
    public record PublishRequest(String type, int schemaVersion, String logicalKey, Map<String, String> tags, List<String> inputIds,
            Optional<String> writer, boolean supersedeExisting) {
        public PublishRequest {
            tags = Map.copyOf(tags);
            inputIds = List.copyOf(inputIds);
        }
    }

    public CompletableFuture<QueryResult> query(String sql, Map<String, List<String>> views, QueryFormat format, long rowLimit,
            BatchCallOptions options) {
        if (sql.isBlank()) {
            throw StorageException.builder(ErrorCode.INVALID_SQL, "sql is empty: send exactly one SELECT statement").violation("sql", "required").build();
        }
        if (rowLimit < 0) {
            throw invalid("row_limit", "row_limit must be >= 0 (0 = default 10,000)");
        }
        Map<String, List<Path>> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> view : views.entrySet()) {
            if (!VIEW_NAME.matcher(view.getKey()).matches()) {
                throw invalid("views.name", "view name '" + view.getKey() + "' must match [a-z_][a-z0-9_]{0,62}");
            }
            if (view.getValue().isEmpty()) {
                throw invalid("views.artifact_ids", "view '" + view.getKey() + "' names no artifact");
            }
            List<Path> paths = new ArrayList<>();
            for (String id : view.getValue()) {
                ArtifactRecord record = requireArtifact(id);
                if (!record.path().endsWith(".parquet")) {
                    throw invalid("views.artifact_ids", "artifact " + id + " is a " + record.type() + " file, not Parquet rows; it cannot be a view");
                }
                paths.add(catalog.localFile(record));
            }
            resolved.put(view.getKey(), paths);
        }
        return engine.query(new QueryCommand(sql, resolved, format, rowLimit), options);
    }

    /** Leaderboards over the sealed results of the sweep's succeeded runs. */
    public CompletableFuture<AnalyzeSweepResult> analyzeSweep(String sweepId, int topN, BatchCallOptions options) {
        InputText.name("sweep_id", sweepId, 128);
        List<Path> paths = sealedResults(sweepId);
        if (topN < 0) {
            throw invalid("top_n", "top_n must be >= 0 (0 = default 20)");
        }
        return engine.analyzeSweep(new AnalyzeSweepCommand(sweepId, paths, topN == 0 ? 20 : topN), options);
    }

    public CompletableFuture<Registration> generateFeatures(List<String> ohlcvIds, List<Integer> windows, String logicalKey, Map<String, String> tags,
            BatchCallOptions options) {
        checkTags(tags);
        InputText.optionalName("logical_key", logicalKey, 512);
        List<ArtifactRecord> inputs = new ArrayList<>();
        if (ohlcvIds.isEmpty()) {
            inputs.addAll(catalog.findActiveByTags(ArtifactTypes.OHLCV_SLICE_TYPE, Map.of()));
            if (inputs.isEmpty()) {
                throw StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "there are no active ohlcv_slice artifacts to derive features from; import a snapshot first")
                        .build();
            }
        } else {
            for (String id : ohlcvIds) {
                ArtifactRecord record = requireArtifact(id);
                if (!record.type().equals(ArtifactTypes.OHLCV_SLICE_TYPE)) {
                    throw invalid("ohlcv_artifact_ids", "artifact " + id + " is a " + record.type() + ", not an ohlcv_slice");
                }
                inputs.add(record);
            }
        }
        for (int window : windows) {
            if (window < 2 || window > 10_000) {
                throw invalid("windows", "windows must be between 2 and 10,000 candles, got " + window);
            }
        }
        Map<String, Path> paths = new LinkedHashMap<>();
        for (ArtifactRecord input : inputs) {
            paths.put(input.id(), catalog.localFile(input));
        }
        String key = logicalKey.isBlank() ? "features/inputs=" + inputs.size() + "/windows=" + (windows.isEmpty() ? DEFAULT_WINDOWS : windows) : logicalKey;
        return engine.generateFeatures(new GenerateFeaturesCommand(paths, windows.isEmpty() ? DEFAULT_WINDOWS : windows, key), options)
                .thenCompose(produced -> catalog.register(toStaged(produced, tags, new ArrayList<>(paths.keySet()), "python-worker/generate_features", false)));
    }

    /**
     * A report of the sweep's sealed results.
     *
     * @param specText the sweep's spec as written (at most {@value #MAX_SPEC_CHARS} characters)
     * @param clientFacts the client's measurements, printed as sent (the tag limits apply)
     */
    public CompletableFuture<Registration> generateReport(String sweepId, String title, String specText, Map<String, String> clientFacts,
            BatchCallOptions options) {
        InputText.name("sweep_id", sweepId, 128);
        InputText.optionalName("title", title, 256);
        InputText.tags("facts", clientFacts);
        if (specText.length() > MAX_SPEC_CHARS) {
            throw invalid("spec_text", "spec_text is at most " + MAX_SPEC_CHARS + " characters, got " + specText.length());
        }
        List<ArtifactRecord> sealed = sealedArtifacts(sweepId);
        List<RunSummary> summaries = new ArrayList<>();
        String after = "";
        while (true) {
            List<RunRecord> page = runs.list(Optional.of(sweepId), Optional.empty(), after, 1_000);
            for (RunRecord run : page) {
                summaries.add(new RunSummary(run.runId(), run.scenarioId(), run.status().dbValue(), run.paramsJson(), run.summary(), run.errorMessage()));
            }
            if (page.size() < 1_000) {
                break;
            }
            after = page.get(page.size() - 1).runId();
        }
        DaemonInfo facts = info.info();
        Map<String, String> about = new LinkedHashMap<>();
        about.put("sweep_id", sweepId);
        about.put("runs", Integer.toString(summaries.size()));
        about.put("result_artifacts", Integer.toString(sealed.size()));
        about.put("storage-daemon", facts.version());
        about.put("duckdb (daemon)", facts.duckDbVersion());
        about.put("python", facts.pythonVersion());
        about.put("duckdb (workers)", facts.pythonDuckDbVersion());
        about.put("java", facts.javaVersion());
        List<Path> paths = sealed.stream().map(catalog::localFile).toList();
        String reportTitle = title.isBlank() ? "Sweep " + sweepId : title;
        return engine.generateReport(new GenerateReportCommand(sweepId, reportTitle, paths, summaries, about, specText, clientFacts), options)
                .thenCompose(produced -> catalog.register(toStaged(produced, Map.of("sweep_id", sweepId),
                        sealed.stream().map(ArtifactRecord::id).toList(), "python-worker/generate_report", false)));
    }

    public ArtifactLocation location(ArtifactRecord record) {
        return catalog.location(record);
    }

    private List<Path> sealedResults(String sweepId) {
        return sealedArtifacts(sweepId).stream().map(catalog::localFile).toList();
    }

    private List<ArtifactRecord> sealedArtifacts(String sweepId) {
        if (sweepId.isBlank()) {
            throw invalid("sweep_id", "sweep_id is required");
        }
        List<ArtifactRecord> sealed = catalog.findActiveByTags(ArtifactTypes.RUN_RESULTS_TYPE, Map.of("sweep_id", sweepId, "run_status", "succeeded"));
        if (sealed.isEmpty()) {
            throw StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "sweep " + sweepId + " has no sealed results of succeeded runs;"
                    + " FinishRun (status SUCCEEDED, not deferred) seals a run's rows").metadata("sweep_id", sweepId).build();
        }
        return sealed;
    }

    private ArtifactRecord requireArtifact(String id) {
        return catalog.get(id).orElseThrow(() -> StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "no artifact " + id)
                .metadata("artifact_id", id).build());
    }

    private static StagedArtifact toStaged(ProducedArtifact produced, Map<String, String> tags, List<String> inputs, String writer, boolean supersede) {
        Path staged = produced.stagingPath().orElseThrow(() -> new IllegalStateException("the engine produced no file for " + produced.logicalKey()));
        List<ColumnSpec> columns = produced.columns().stream().map(column -> new ColumnSpec(column.name(), column.type())).toList();
        return new StagedArtifact(staged, produced.extension(), produced.type(), produced.schemaVersion(), produced.logicalKey(), produced.fileHash(),
                produced.contentHash(), produced.rowCount(), produced.sizeBytes(), produced.minTsMs(), produced.maxTsMs(), columns, produced.tags(),
                inputs, new Provenance(writer, DaemonInfoService.version(), produced.paramsJson()), supersede).withMetadata(tags, inputs,
                new Provenance(writer, DaemonInfoService.version(), produced.paramsJson()), supersede);
    }

    private static void checkTags(Map<String, String> tags) {
        InputText.tags("tags", tags);
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }

    static boolean isActive(ArtifactRecord record) {
        return record.status() == ArtifactStatus.ACTIVE;
    }
}
