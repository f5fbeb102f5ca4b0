package io.quantbot.storage.daemon.run;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.quantbot.storage.daemon.artifact.ArtifactSchema;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.config.RunsConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.input.InputText;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/** Runs' domain service: validates every input, then hands it to the ledger. */
@Singleton
public final class RunService {
    public static final int DEFAULT_PAGE_SIZE = 100;
    public static final int MAX_PAGE_SIZE = 10_000;
    private static final Pattern SWEEP_ID = Pattern.compile("[A-Za-z0-9_.:=-]{1,128}");
    private static final Pattern RUN_ID = Pattern.compile("run_[0-9A-Z]{26}");
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final Map<String, String> ROW_COLUMNS = rowColumns();
    /** The run_results columns a chunk may leave out: they default to the run's. Every other column is required in every chunk. */
    public static final List<String> OPTIONAL_ROW_COLUMNS = List.of("sweep_id", "scenario_id");

    private final RunLedger ledger;
    private final LakeCatalog catalog;
    private final RunsConfig config;

    @Inject
    public RunService(RunLedger ledger, LakeCatalog catalog, RunsConfig config) {
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.config = requireNonNull(config, "config is null");
    }

    public CompletableFuture<RunLedger.Created> create(RunLedger.NewRun run) {
        if (!SWEEP_ID.matcher(run.sweepId()).matches()) {
            throw invalid("sweep_id", "sweep_id '" + printable(run.sweepId()) + "' must match [A-Za-z0-9_.:=-]{1,128}");
        }
        if (run.scenarioId().isEmpty() || run.scenarioId().length() > 256 || !run.scenarioId().chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw invalid("scenario_id", "scenario_id must be 1 to 256 printable ASCII characters without spaces");
        }
        InputText.tags("tags", run.tags());
        requireJsonObject("params_json", run.paramsJson());
        for (String input : run.inputIds()) {
            if (catalog.get(input).isEmpty()) {
                throw StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "input artifact " + input + " does not exist")
                        .metadata("artifact_id", input).build();
            }
        }
        run.idempotencyKey().ifPresent(key -> InputText.optionalName("idempotency_key", key, 256));
        return ledger.create(run);
    }

    /** What one FinishRun asks for; the status is empty when the request named none (refused: it is required). */
    public record FinishItem(String runId, Optional<RunStatus> status, Map<String, Double> summary, String errorMessage, SealMode sealMode) {}

    /** {@link #finish(String, RunStatus, Map, String, SealMode)} of a request whose status may be missing. */
    public CompletableFuture<RunRecord> finish(FinishItem item) {
        RunStatus status = item.status().orElseThrow(() -> StorageException.builder(ErrorCode.INVALID_ARGUMENT,
                "status is required: SUCCEEDED, FAILED or CANCELLED").violation("status", "required").build());
        return finish(item.runId(), status, item.summary(), item.errorMessage(), item.sealMode());
    }

    /**
     * Many {@link #create} calls in one: each item is validated and created (or found by its idempotency key)
     * exactly as alone, and each gets its own future: a refused item fails its future only. The items reach the
     * writer back to back, so they share its group commits.
     *
     * @throws StorageException REQUEST_TOO_LARGE for more than runs.max-batch items, INVALID_ARGUMENT for none
     */
    public List<CompletableFuture<RunLedger.Created>> batchCreate(List<RunLedger.NewRun> items) {
        checkBatchSize(items.size());
        List<CompletableFuture<RunLedger.Created>> results = new ArrayList<>(items.size());
        for (RunLedger.NewRun item : items) {
            results.add(alone(() -> create(item)));
        }
        return results;
    }

    /**
     * Many {@link #finish} calls in one: each item is validated and finished exactly as alone, with its own future
     * (done after its seal). An item with {@link SealMode#SWEEP} is applied only once every item before it is done,
     * so its seal covers the runs finished before it in the batch; the others are applied at once, in order.
     *
     * @throws StorageException REQUEST_TOO_LARGE for more than runs.max-batch items, INVALID_ARGUMENT for none
     */
    public List<CompletableFuture<RunRecord>> batchFinish(List<FinishItem> items) {
        checkBatchSize(items.size());
        List<CompletableFuture<RunRecord>> results = new ArrayList<>(items.size());
        for (FinishItem item : items) {
            if (item.sealMode() == SealMode.SWEEP && !results.isEmpty()) {
                // Settled (done or failed) earlier items first: a failed neighbour must not fail this item.
                CompletableFuture<?>[] earlier = results.stream().map(result -> result.handle((run, failure) -> null))
                        .toArray(CompletableFuture[]::new);
                results.add(CompletableFuture.allOf(earlier).thenCompose(ignored -> alone(() -> finish(item))));
            } else {
                results.add(alone(() -> finish(item)));
            }
        }
        return results;
    }

    private void checkBatchSize(int items) {
        if (items == 0) {
            throw invalid("requests", "requests is empty; send 1 to " + config.maxBatch() + " items");
        }
        if (items > config.maxBatch()) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "requests has " + items + " items; the limit (runs.max-batch) is "
                    + config.maxBatch() + ": split it into several batches").metadata("limit", config.maxBatch()).build();
        }
    }

    /** The call's future, or a failed one when it throws at once (validation, a full write queue): one item fails alone. */
    private static <T> CompletableFuture<T> alone(java.util.function.Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (StorageException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    public RunRecord get(String runId) {
        checkRunId(runId);
        return ledger.get(runId).orElseThrow(() -> notFound(runId));
    }

    public RunPage list(Optional<String> sweepId, Optional<RunStatus> status, int pageSize, String pageToken) {
        if (pageSize < 0) {
            throw invalid("page_size", "page_size must be >= 0 (0 = default " + DEFAULT_PAGE_SIZE + ")");
        }
        int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
        String fingerprint = sweepId.orElse("*") + "|" + status.map(Enum::name).orElse("*");
        String after = decodeToken(pageToken, fingerprint);
        List<RunRecord> runs = ledger.list(sweepId, status, after, size + 1);
        if (runs.size() <= size) {
            return new RunPage(runs, "");
        }
        List<RunRecord> page = List.copyOf(runs.subList(0, size));
        return new RunPage(page, encodeToken(fingerprint, page.get(size - 1).runId()));
    }

    /** Validates the chunk here (so a bad chunk fails its stream before it is queued), then appends it. */
    public CompletableFuture<RunLedger.ChunkOutcome> appendChunk(String runId, long chunkSeq, RowBatch rows, BooleanSupplier abandoned) {
        checkRunId(runId);
        if (chunkSeq < 1) {
            throw invalid("chunk_seq", "chunk_seq must start at 1 and grow by 1 per chunk, got " + chunkSeq);
        }
        validateRows(rows);
        return ledger.appendChunk(runId, chunkSeq, rows, abandoned);
    }

    public CompletableFuture<RunRecord> finish(String runId, RunStatus status, Map<String, Double> summary, String errorMessage, SealMode sealMode) {
        checkRunId(runId);
        if (!status.isTerminal() || status == RunStatus.LOST) {
            throw invalid("status", "status must be SUCCEEDED, FAILED or CANCELLED" + (status == RunStatus.LOST
                    ? " (LOST is given by the cluster to a run whose owner stopped renewing its lease, never by FinishRun)" : ""));
        }
        for (Map.Entry<String, Double> metric : summary.entrySet()) {
            InputText.name("summary key", metric.getKey(), 128);
            if (!Double.isFinite(metric.getValue())) {
                throw invalid("summary", "summary '" + metric.getKey() + "' is " + metric.getValue()
                        + "; summaries hold finite numbers only: leave out a metric that has no value");
            }
        }
        if (errorMessage.length() > 8192) {
            throw invalid("error_message", "error_message is longer than 8192 characters");
        }
        // Free text (line breaks and tabs of a stack trace are kept), but never NUL, which no engine stores alike.
        int nul = errorMessage.indexOf('\0');
        if (nul >= 0) {
            throw invalid("error_message", "error_message holds a NUL character (U+0000) at position " + nul + "; send the text without it");
        }
        return ledger.finish(runId, status, summary, errorMessage, sealMode);
    }

    void validateRows(RowBatch rows) {
        if (rows.rowCount() < 1) {
            throw StorageException.builder(ErrorCode.INVALID_ROWS, "a chunk must carry at least one row").violation("rows.row_count", "must be >= 1").build();
        }
        if (rows.rowCount() > config.maxRowsPerChunk()) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "a chunk carries " + rows.rowCount() + " rows; the limit (runs.max-rows-per-chunk) is "
                    + config.maxRowsPerChunk() + ": split it into several chunks").metadata("limit", config.maxRowsPerChunk()).build();
        }
        for (RowColumn column : rows.columns().values()) {
            String expected = ROW_COLUMNS.get(column.name());
            if (expected == null) {
                throw StorageException.builder(ErrorCode.INVALID_ROWS, "unknown column '" + column.name() + "'; run_results columns are "
                                + String.join(", ", ROW_COLUMNS.keySet()) + " (run_id is set by the daemon)")
                        .violation("rows.columns." + column.name(), "not a run_results column").build();
            }
            String actual = column instanceof RowColumn.Longs ? "BIGINT"
                    : column instanceof RowColumn.Doubles ? "DOUBLE"
                    : column instanceof RowColumn.Booleans ? "BOOLEAN"
                    : "VARCHAR";
            if (!actual.equals(expected)) {
                throw StorageException.builder(ErrorCode.INVALID_ROWS, "column '" + column.name() + "' must be " + expected + " values, got " + actual)
                        .violation("rows.columns." + column.name(), "must be " + expected).build();
            }
            if (column.size() != rows.rowCount()) {
                throw StorageException.builder(ErrorCode.INVALID_ROWS, "column '" + column.name() + "' has " + column.size() + " values for "
                        + rows.rowCount() + " rows").violation("rows.columns." + column.name(), "must have row_count values").build();
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : ROW_COLUMNS.keySet()) {
            if (!OPTIONAL_ROW_COLUMNS.contains(name) && !rows.columns().containsKey(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            StorageException.Builder failure = StorageException.builder(ErrorCode.INVALID_ROWS, "the chunk leaves out " + missing.size()
                    + " required run_results column" + (missing.size() == 1 ? "" : "s") + ": " + String.join(", ", missing)
                    + "; every chunk carries every column but " + String.join(" and ", OPTIONAL_ROW_COLUMNS)
                    + " (a missing value is NULL through the column's null_bitmap)");
            missing.forEach(name -> failure.violation("rows.columns." + name, "required in every chunk"));
            throw failure.metadata("missing_columns", String.join(",", missing)).build();
        }
        for (RowColumn column : rows.columns().values()) {
            if (column instanceof RowColumn.Doubles doubles) {
                for (int row = 0; row < rows.rowCount(); row++) {
                    double value = doubles.values()[row];
                    if (!column.isNull(row) && !Double.isFinite(value)) {
                        throw StorageException.builder(ErrorCode.INVALID_ROWS, "column '" + column.name() + "' is " + value + " in row " + row
                                        + " of the chunk; results hold finite numbers only: send NULL (the null_bitmap) for a value that does not exist")
                                .violation("rows.columns." + column.name(), "must be finite or NULL").build();
                    }
                }
            }
        }
        RowColumn callId = rows.columns().get("call_id");
        for (int row = 0; row < rows.rowCount(); row++) {
            if (callId.isNull(row)) {
                throw StorageException.builder(ErrorCode.INVALID_ROWS, "call_id is NULL in row " + row + " of the chunk")
                        .violation("rows.columns.call_id", "must not be NULL").build();
            }
        }
    }

    private static Map<String, String> rowColumns() {
        ArtifactSchema schema = ArtifactTypes.RUN_RESULTS;
        Map<String, String> columns = new java.util.LinkedHashMap<>();
        for (ColumnSpec column : schema.columns()) {
            if (!column.name().equals("run_id")) {
                columns.put(column.name(), column.type());
            }
        }
        return java.util.Collections.unmodifiableMap(columns);
    }

    private static void checkRunId(String runId) {
        if (!RUN_ID.matcher(runId).matches()) {
            throw invalid("run_id", "run_id '" + printable(runId) + "' is not a run id (run_ + 26 characters), as CreateRun returns");
        }
    }

    private static void requireJsonObject(String field, String json) {
        if (json.isEmpty()) {
            return;
        }
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalid(field, field + " must be a JSON object");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw invalid(field, field + " holds more than one JSON document");
            }
        } catch (IOException e) {
            throw invalid(field, field + " is not valid JSON: " + e.getMessage());
        }
    }

    private static String encodeToken(String fingerprint, String lastRunId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("r1\n" + fingerprint + "\n" + lastRunId).getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeToken(String token, String fingerprint) {
        if (token.isEmpty()) {
            return "";
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", 3);
            if (parts.length == 3 && parts[0].equals("r1") && parts[1].equals(fingerprint)) {
                return parts[2];
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw StorageException.builder(ErrorCode.INVALID_PAGE_TOKEN, "page_token does not belong to this listing (same sweep_id and status)")
                .violation("page_token", "pass the token of the previous page of the same listing").build();
    }

    static StorageException notFound(String runId) {
        return StorageException.builder(ErrorCode.RUN_NOT_FOUND, "no run " + runId).metadata("run_id", runId).build();
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }

    private static String printable(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "…" : text;
    }

    public record RunPage(List<RunRecord> runs, String nextPageToken) {
        public RunPage {
            runs = List.copyOf(runs);
        }
    }

    static Map<String, String> columnTypes() {
        return new HashMap<>(ROW_COLUMNS);
    }
}
