package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.JsonColumns;
import com.fasterxml.jackson.core.type.TypeReference;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactIds;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.RunRules;
import io.quantbot.storage.daemon.run.SealPlan;
import io.quantbot.storage.daemon.run.RunStatus;
import io.quantbot.storage.daemon.run.SealMode;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.BooleanSupplier;
import org.duckdb.DuckDBAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run ledger on DuckDB: runs in {@code runs}, hot result rows inserted into {@code run_rows} column by column
 * ({@link ColumnarRunRows}, one statement per chunk) on the writer thread (group-committed with everything else), sealed into run_results
 * Parquet artifacts by the {@link RunSealer}. Reads come from an in-memory index of committed runs.
 */
@Singleton
public final class DuckDbRunLedger implements RunLedger {
    private static final Logger log = LoggerFactory.getLogger(DuckDbRunLedger.class);
    private static final String JSON_HOME = "the runs table";
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
    private static final TypeReference<Map<String, Double>> DOUBLE_MAP = new TypeReference<>() {};

    /** run_rows columns after run_id and chunk_seq: the run_results columns without run_id, in table order. */
    static final List<ColumnSpec> ROW_COLUMNS = ArtifactTypes.RUN_RESULTS.columns().stream().filter(c -> !c.name().equals("run_id")).toList();

    private static final String INSERT_RUN = "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '{}', '', 'run', NULL, 0, 0)";
    private static final String SELECT_CHUNK_DIGEST = "SELECT row_count, digest FROM run_chunks WHERE run_id = ? AND chunk_seq = ?";
    private static final String FINISH_RUN = """
            UPDATE runs SET status = ?, finished_at_ms = ?, summary_json = ?, error_message = ?, seal_mode = ?, row_count = ?, committed_chunk_seq = ?
            WHERE run_id = ?""";
    private static final String LOAD_RUNS = """
            SELECT run_id, sweep_id, scenario_id, status, params_json, input_ids_json, tags_json, idempotency_key, created_at_ms,
                   finished_at_ms, summary_json, error_message, seal_mode, result_artifact_id, row_count, committed_chunk_seq
            FROM runs ORDER BY run_id""";
    private static final String HOT_ROWS = "SELECT run_id, max(chunk_seq), count(*) FROM run_rows GROUP BY run_id";

    private final GroupCommitWriter writer;
    private final Clock clock;
    private final RunSealer sealer;
    private final Map<String, RunRecord> runs = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<String> allRuns = new ConcurrentSkipListSet<>();
    private final Map<String, ConcurrentSkipListSet<String>> bySweep = new ConcurrentHashMap<>();
    private final Map<String, String> byIdempotencyKey = new ConcurrentHashMap<>();
    /** Runs whose seal is under way, each with the seal that claimed it: a run is sealed once, whoever asks. */
    private final Map<String, CompletableFuture<Void>> sealing = new ConcurrentHashMap<>();
    private final Counter duplicateChunks;
    private final Counter appendedRows;
    /** The columnar insert of chunks; used on the writer thread only. */
    private final ColumnarRunRows columnar = new ColumnarRunRows();

    @Inject
    public DuckDbRunLedger(GroupCommitWriter writer, Clock clock, RunSealer sealer, MeterRegistry registry) {
        this.writer = requireNonNull(writer, "writer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.duplicateChunks = Counter.builder("quantbot.runs.duplicate_chunks")
                .description("AppendRunRows chunks re-sent after they were committed (ignored)")
                .register(registry);
        this.appendedRows = Counter.builder("quantbot.runs.rows_appended")
                .description("Result rows committed through AppendRunRows")
                .register(registry);
    }

    /** Rebuilds the index from the database; call once at start, before the writer runs. */
    public void load(Connection connection) throws SQLException {
        Stored stored = read(connection);
        stored.runs().forEach(this::index);
        log.info("Loaded {} runs ({} with rows not sealed yet)", runs.size(), stored.hotRows().size());
    }

    /**
     * Every run of a database as the ledger serves it (a running run with the rows committed so far), and the rows
     * each run still has in the hot table (absent = none). Reads only; {@code migrate} uses it on a stopped data dir.
     */
    public static Stored read(Connection connection) throws SQLException {
        Map<String, Long> hotRows = new HashMap<>();
        Map<String, long[]> hot = new HashMap<>();
        List<RunRecord> records = new ArrayList<>();
        try (Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery(HOT_ROWS)) {
                while (rows.next()) {
                    hot.put(rows.getString(1), new long[] {rows.getLong(2), rows.getLong(3)});
                    hotRows.put(rows.getString(1), rows.getLong(3));
                }
            }
            try (ResultSet rows = statement.executeQuery(LOAD_RUNS)) {
                while (rows.next()) {
                    RunRecord record = new RunRecord(rows.getString(1), rows.getString(2), rows.getString(3), RunStatus.fromDbValue(rows.getString(4)),
                            rows.getString(5), JsonColumns.read(rows.getString(6), STRINGS, JSON_HOME), JsonColumns.read(rows.getString(7), STRING_MAP, JSON_HOME), Optional.ofNullable(rows.getString(8)),
                            rows.getLong(9), rows.getLong(10), JsonColumns.read(rows.getString(11), DOUBLE_MAP, JSON_HOME), rows.getString(12),
                            SealMode.fromDbValue(rows.getString(13)), Optional.ofNullable(rows.getString(14)), rows.getLong(15), rows.getLong(16));
                    if (record.status() == RunStatus.RUNNING) {
                        long[] counts = hot.getOrDefault(record.runId(), new long[] {0, 0});
                        record = record.withRows(counts[1], counts[0]);
                    }
                    records.add(record);
                }
            }
        }
        return new Stored(records, hotRows);
    }

    /** What {@link #read} found: the runs in run id order, and the hot rows of each run that has any. */
    public record Stored(List<RunRecord> runs, Map<String, Long> hotRows) {
        public Stored {
            runs = List.copyOf(runs);
            hotRows = Map.copyOf(hotRows);
        }
    }

    /** Seals runs that finished but whose seal did not happen (the daemon stopped in between). */
    public CompletableFuture<Void> resumeSeals() {
        Map<String, List<RunRecord>> pending = new LinkedHashMap<>();
        for (RunRecord run : runs.values()) {
            if (run.awaitsSeal()) {
                pending.computeIfAbsent(run.sweepId(), ignored -> new ArrayList<>()).add(run);
            }
        }
        List<CompletableFuture<?>> seals = new ArrayList<>();
        for (List<RunRecord> sweepRuns : pending.values()) {
            for (RunRecord run : sweepRuns) {
                log.info("Resuming the seal of run {} (sweep {})", run.runId(), run.sweepId());
                seals.add(run.sealMode() == SealMode.SWEEP ? sealSweep(run.sweepId()) : seal(List.of(run)));
            }
        }
        return CompletableFuture.allOf(seals.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletableFuture<Created> create(NewRun run) {
        return writer.submit(new CreateTask(run));
    }

    @Override
    public Optional<RunRecord> get(String runId) {
        return Optional.ofNullable(runs.get(runId));
    }

    @Override
    public List<RunRecord> list(Optional<String> sweepId, Optional<RunStatus> status, String afterRunId, int limit) {
        java.util.NavigableSet<String> ids = sweepId.isPresent() ? bySweep.getOrDefault(sweepId.get(), new ConcurrentSkipListSet<>()) : allRuns;
        java.util.NavigableSet<String> tail = afterRunId.isEmpty() ? ids : ids.tailSet(afterRunId, false);
        List<RunRecord> page = new ArrayList<>();
        for (String id : tail) {
            RunRecord run = runs.get(id);
            if (run != null && (status.isEmpty() || run.status() == status.get())) {
                page.add(run);
                if (page.size() >= limit) {
                    break;
                }
            }
        }
        return page;
    }

    @Override
    public CompletableFuture<ChunkOutcome> appendChunk(String runId, long chunkSeq, RowBatch rows, BooleanSupplier abandoned) {
        if (!runs.containsKey(runId)) {
            throw io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger.notFound(runId);
        }
        return writer.submit(new AppendTask(runId, chunkSeq, rows, abandoned));
    }

    @Override
    public CompletableFuture<RunRecord> finish(String runId, RunStatus status, Map<String, Double> summary, String errorMessage, SealMode sealMode) {
        return finish(runId, status, summary, errorMessage, sealMode, -1);
    }

    /**
     * A finish stamped {@code atMs} (when at least 0) instead of this ledger's clock: cluster mode records the finish in
     * PostgreSQL first, with the same time, so every daemon shows the owner's one finish time.
     */
    public CompletableFuture<RunRecord> finish(String runId, RunStatus status, Map<String, Double> summary, String errorMessage, SealMode sealMode,
            long atMs) {
        return writer.submit(new FinishTask(runId, status, summary, errorMessage, sealMode, atMs)).thenCompose(outcome -> {
            RunRecord finished = outcome.record;
            // A repeated FinishRun of a run whose seal failed (refused with QUEUE_FULL, say) seals it now; seal() claims
            // each run, so a seal under way is waited for, never repeated.
            if (finished.sealMode() == SealMode.DEFER || finished.resultArtifactId().isPresent() || !finished.awaitsSeal()) {
                return CompletableFuture.completedFuture(finished);
            }
            CompletableFuture<Void> sealed = finished.sealMode() == SealMode.SWEEP ? sealSweep(finished.sweepId()) : seal(List.of(finished));
            return sealed.thenApply(ignored -> runs.get(runId));
        });
    }

    /** Seals every finished, unsealed run of a sweep: the succeeded ones together, the others each alone. */
    CompletableFuture<Void> sealSweep(String sweepId) {
        List<RunRecord> ofSweep = new ArrayList<>();
        for (String id : bySweep.getOrDefault(sweepId, new ConcurrentSkipListSet<>())) {
            RunRecord run = runs.get(id);
            if (run != null) {
                ofSweep.add(run);
            }
        }
        List<CompletableFuture<Void>> seals = new ArrayList<>();
        for (List<RunRecord> group : SealPlan.groups(ofSweep)) {
            seals.add(seal(group));
        }
        return CompletableFuture.allOf(seals.toArray(CompletableFuture[]::new));
    }

    /**
     * Seals these runs into one artifact. Concurrent seals of the same sweep (two FinishRun SWEEP calls, or
     * one racing the start-up resume) must not seal a run twice: each run is claimed first; a run another seal
     * holds is waited for, a run sealed meanwhile is skipped.
     */
    private CompletableFuture<Void> seal(List<RunRecord> candidates) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        List<RunRecord> claimed = new ArrayList<>();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (RunRecord candidate : candidates) {
            CompletableFuture<Void> other = sealing.putIfAbsent(candidate.runId(), mine);
            if (other != null) {
                waits.add(other);
                continue;
            }
            RunRecord current = runs.get(candidate.runId());
            if (current == null || current.resultArtifactId().isPresent()) {
                sealing.remove(candidate.runId(), mine);
            } else {
                claimed.add(current);
            }
        }
        if (!claimed.isEmpty()) {
            sealer.seal(claimed)
                    .thenCompose(artifactId -> writer.submit(new MarkSealedTask(claimed, artifactId)))
                    .whenComplete((ignored, failure) -> {
                        claimed.forEach(run -> sealing.remove(run.runId(), mine));
                        if (failure != null) {
                            mine.completeExceptionally(failure);
                        } else {
                            mine.complete(null);
                        }
                    });
            waits.add(mine);
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    }

    private void index(RunRecord record) {
        runs.put(record.runId(), record);
        allRuns.add(record.runId());
        bySweep.computeIfAbsent(record.sweepId(), ignored -> new ConcurrentSkipListSet<>()).add(record.runId());
        record.idempotencyKey().ifPresent(key -> byIdempotencyKey.put(key, record.runId()));
    }

    /**
     * Drops runs this node no longer owns (cluster mode: the cluster declared them lost while they were unsealed): their
     * hot rows and records go, so no later seal of their sweep picks them up. Sealed runs are never dropped.
     */
    public CompletableFuture<Void> forget(java.util.Collection<String> runIds) {
        List<RunRecord> unsealed = runIds.stream().map(runs::get).filter(java.util.Objects::nonNull)
                .filter(run -> run.resultArtifactId().isEmpty()).toList();
        if (unsealed.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return writer.submit(new ForgetTask(unsealed));
    }

    private final class ForgetTask implements WriteTask<Void> {
        private final List<RunRecord> forgotten;

        private ForgetTask(List<RunRecord> forgotten) {
            this.forgotten = forgotten;
        }

        @Override
        public Void apply(WriteContext context) throws SQLException {
            String ids = RunSealer.sqlList(forgotten);
            try (Statement statement = context.connection().createStatement()) {
                statement.execute("DELETE FROM run_rows WHERE run_id IN (" + ids + ")");
                statement.execute("DELETE FROM runs WHERE result_artifact_id IS NULL AND run_id IN (" + ids + ")");
            }
            return null;
        }

        @Override
        public void afterCommit(Void ignored) {
            for (RunRecord run : forgotten) {
                runs.remove(run.runId());
                allRuns.remove(run.runId());
                java.util.Set<String> ofSweep = bySweep.get(run.sweepId());
                if (ofSweep != null) {
                    ofSweep.remove(run.runId());
                }
                run.idempotencyKey().ifPresent(key -> byIdempotencyKey.remove(key, run.runId()));
            }
        }

        @Override
        public String name() {
            return "runs.forget";
        }
    }

    static StorageException notFound(String runId) {
        return StorageException.builder(ErrorCode.RUN_NOT_FOUND, "no run " + runId).metadata("run_id", runId).build();
    }

    private final class CreateTask implements WriteTask<Created> {
        private final NewRun run;

        private CreateTask(NewRun run) {
            this.run = run;
        }

        @Override
        public Created apply(WriteContext context) throws SQLException {
            Map<String, RunRecord> pendingKeys = context.batchLocal(CreateTask.class, HashMap::new);
            if (run.idempotencyKey().isPresent()) {
                String key = run.idempotencyKey().get();
                RunRecord earlier = pendingKeys.get(key);
                if (earlier == null && byIdempotencyKey.containsKey(key)) {
                    earlier = runs.get(byIdempotencyKey.get(key));
                }
                if (earlier != null) {
                    return new Created(earlier, false);
                }
            }
            long now = clock.millis();
            RunRecord record = new RunRecord(ArtifactIds.newRunId(now), run.sweepId(), run.scenarioId(), RunStatus.RUNNING,
                    run.paramsJson().isEmpty() ? "{}" : run.paramsJson(), run.inputIds(), run.tags(), run.idempotencyKey(), now, 0, Map.of(), "",
                    SealMode.RUN, Optional.empty(), 0, 0);
            try (PreparedStatement insert = context.connection().prepareStatement(INSERT_RUN)) {
                insert.setString(1, record.runId());
                insert.setString(2, record.sweepId());
                insert.setString(3, record.scenarioId());
                insert.setString(4, record.status().dbValue());
                insert.setString(5, record.paramsJson());
                insert.setString(6, JsonColumns.write(record.inputIds()));
                insert.setString(7, JsonColumns.write(record.tags()));
                insert.setString(8, record.idempotencyKey().orElse(null));
                insert.setLong(9, record.createdAtMs());
                insert.executeUpdate();
            }
            run.idempotencyKey().ifPresent(key -> pendingKeys.put(key, record));
            return new Created(record, true);
        }

        @Override
        public void afterCommit(Created created) {
            if (created.created()) {
                index(created.run());
            }
        }

        @Override
        public String name() {
            return "runs.create";
        }
    }

    private final class AppendTask implements WriteTask<ChunkOutcome> {
        private final String runId;
        private final long chunkSeq;
        private final RowBatch rows;
        private final BooleanSupplier abandoned;

        /** Computed by the caller's thread, not the writer's. */
        private final RunRules.ChunkDigest digest;

        private AppendTask(String runId, long chunkSeq, RowBatch rows, BooleanSupplier abandoned) {
            this.runId = runId;
            this.chunkSeq = chunkSeq;
            this.rows = rows;
            this.abandoned = abandoned;
            this.digest = RunRules.ChunkDigest.of(rows);
        }

        @Override
        public ChunkOutcome apply(WriteContext context) throws SQLException {
            Map<String, long[]> pending = context.batchLocal(AppendTask.class, HashMap::new);
            RunRecord run = runs.get(runId);
            if (run == null) {
                throw notFound(runId);
            }
            long[] progress = pending.computeIfAbsent(runId, ignored -> new long[] {run.committedChunkSeq(), run.rowCount()});
            Map<String, RunRules.ChunkDigest> applied = context.batchLocal(RunRules.ChunkDigest.class, HashMap::new);
            if (RunRules.decideChunk(run, progress[0], chunkSeq) == RunRules.ChunkDecision.DUPLICATE) {
                RunRules.ChunkDigest inBatch = applied.get(runId + "#" + chunkSeq);
                RunRules.verifyDuplicate(run, chunkSeq, inBatch != null ? Optional.of(inBatch) : committedDigest(context), digest);
                return new ChunkOutcome(true, 0, progress[0], progress[1]);
            }
            if (abandoned.getAsBoolean()) {
                throw StorageException.of(ErrorCode.CANCELLED, "the stream was cancelled before chunk " + chunkSeq + " was committed");
            }
            columnar.insert(context.connection(), runId, chunkSeq, run.sweepId(), run.scenarioId(), rows);
            DuckDBAppender chunks = context.appender("run_chunks");
            chunks.beginRow();
            chunks.append(runId);
            chunks.append(chunkSeq);
            chunks.append(digest.rowCount());
            chunks.append(digest.digest());
            chunks.endRow();
            applied.put(runId + "#" + chunkSeq, digest);
            progress[0] = chunkSeq;
            progress[1] += rows.rowCount();
            return new ChunkOutcome(false, rows.rowCount(), progress[0], progress[1]);
        }

        /** The digest of the committed chunk with this sequence number, if it was kept (schema version 3 on). */
        private Optional<RunRules.ChunkDigest> committedDigest(WriteContext context) throws SQLException {
            try (PreparedStatement select = context.connection().prepareStatement(SELECT_CHUNK_DIGEST)) {
                select.setString(1, runId);
                select.setLong(2, chunkSeq);
                try (ResultSet found = select.executeQuery()) {
                    return found.next() ? Optional.of(new RunRules.ChunkDigest(found.getLong(1), found.getLong(2))) : Optional.empty();
                }
            }
        }

        @Override
        public void afterCommit(ChunkOutcome outcome) {
            if (outcome.duplicate()) {
                duplicateChunks.increment();
                return;
            }
            runs.computeIfPresent(runId, (id, run) -> run.withRows(outcome.runRowCount(), outcome.committedChunkSeq()));
            appendedRows.increment(outcome.rowsAdded());
        }

        @Override
        public String name() {
            return "runs.append";
        }
    }

    private record Finished(RunRecord record, boolean changed) {}

    private final class FinishTask implements WriteTask<Finished> {
        private final String runId;
        private final RunStatus status;
        private final Map<String, Double> summary;
        private final String errorMessage;
        private final SealMode sealMode;
        private final long atMs;

        private FinishTask(String runId, RunStatus status, Map<String, Double> summary, String errorMessage, SealMode sealMode, long atMs) {
            this.runId = runId;
            this.status = status;
            this.summary = summary;
            this.errorMessage = errorMessage;
            this.sealMode = sealMode;
            this.atMs = atMs;
        }

        @Override
        public Finished apply(WriteContext context) throws SQLException {
            RunRecord run = runs.get(runId);
            if (run == null) {
                throw notFound(runId);
            }
            Map<String, long[]> pending = context.batchLocal(AppendTask.class, HashMap::new);
            long[] progress = pending.getOrDefault(runId, new long[] {run.committedChunkSeq(), run.rowCount()});
            if (RunRules.decideFinish(run, status) == RunRules.FinishDecision.ALREADY_FINISHED) {
                // A retried FinishRun: the run is already finished the same way.
                return new Finished(run, false);
            }
            RunRecord finished = run.withRows(progress[1], progress[0]).finished(status, atMs >= 0 ? atMs : clock.millis(), summary, errorMessage, sealMode);
            try (PreparedStatement update = context.connection().prepareStatement(FINISH_RUN)) {
                update.setString(1, status.dbValue());
                update.setLong(2, finished.finishedAtMs());
                update.setString(3, JsonColumns.write(summary));
                update.setString(4, errorMessage);
                update.setString(5, sealMode.dbValue());
                update.setLong(6, finished.rowCount());
                update.setLong(7, finished.committedChunkSeq());
                update.setString(8, runId);
                update.executeUpdate();
            }
            return new Finished(finished, true);
        }

        @Override
        public void afterCommit(Finished outcome) {
            if (outcome.changed) {
                runs.put(runId, outcome.record);
            }
        }

        @Override
        public String name() {
            return "runs.finish";
        }
    }

    private final class MarkSealedTask implements WriteTask<Void> {
        private final List<RunRecord> sealed;
        private final String artifactId;

        private MarkSealedTask(List<RunRecord> sealed, String artifactId) {
            this.sealed = sealed;
            this.artifactId = artifactId;
        }

        @Override
        public Void apply(WriteContext context) throws SQLException {
            String ids = RunSealer.sqlList(sealed);
            try (Statement statement = context.connection().createStatement()) {
                try (PreparedStatement update = context.connection().prepareStatement(
                        "UPDATE runs SET result_artifact_id = ? WHERE run_id IN (" + ids + ")")) {
                    update.setString(1, artifactId);
                    update.executeUpdate();
                }
                statement.execute("DELETE FROM run_rows WHERE run_id IN (" + ids + ")");
            }
            return null;
        }

        @Override
        public void afterCommit(Void ignored) {
            for (RunRecord run : sealed) {
                runs.computeIfPresent(run.runId(), (id, current) -> current.sealed(artifactId));
            }
        }

        @Override
        public String name() {
            return "runs.mark_sealed";
        }
    }


}
