package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.StateConfig;
import io.quantbot.storage.daemon.state.StateEntry;
import io.quantbot.storage.daemon.state.StateKey;
import io.quantbot.storage.daemon.state.StateMutation;
import io.quantbot.storage.daemon.state.StateOperation;
import io.quantbot.storage.daemon.state.StateOperationResult;
import io.quantbot.storage.daemon.state.StateRepository;
import io.quantbot.storage.daemon.state.StateTransactionEvaluator;
import io.quantbot.storage.daemon.state.StateValue;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.duckdb.DuckDBAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * StatePort on DuckDB: writes are appended to {@code state_log} through the group-commit writer;
 * reads are served from an in-memory index of the committed state. That is safe because this daemon
 * is the database's only writer and the index changes only after a commit (ARCHITECTURE.md: point
 * lookups in DuckDB cost 0.4 ms and more, too slow for a hot path).
 */
@Singleton
public final class DuckDbStateRepository implements StateRepository {
    private static final Logger log = LoggerFactory.getLogger(DuckDbStateRepository.class);

    private static final byte OP_PUT = 1;
    private static final byte OP_DELETE = 2;
    private static final byte KIND_JSON = 1;
    private static final byte KIND_RAW = 2;

    private static final String LOAD = """
            SELECT namespace, key, op, value_kind, value_json, value_raw, version, created_at_ms, updated_at_ms, expires_at_ms
            FROM (SELECT *, row_number() OVER (PARTITION BY namespace, key ORDER BY version DESC) AS newest FROM state_log)
            WHERE newest = 1""";
    private static final String MAX_VERSION = "SELECT coalesce(max(version), 0), count(*) FROM state_log";
    private static final String CREATE_PURGE = """
            CREATE TEMP TABLE state_purge AS
            SELECT namespace, key FROM (
                SELECT namespace, key, expires_at_ms, row_number() OVER (PARTITION BY namespace, key ORDER BY version DESC) AS newest
                FROM state_log)
            WHERE newest = 1 AND expires_at_ms > 0 AND expires_at_ms <= ?""";
    private static final String PURGE = "DELETE FROM state_log USING state_purge p WHERE state_log.namespace = p.namespace AND state_log.key = p.key";
    private static final String DROP_PURGE = "DROP TABLE state_purge";
    private static final String COMPACT_SUPERSEDED = """
            DELETE FROM state_log USING (SELECT namespace, key, max(version) AS newest FROM state_log GROUP BY namespace, key) AS latest
            WHERE state_log.namespace = latest.namespace AND state_log.key = latest.key AND state_log.version < latest.newest""";
    private static final String COMPACT_TOMBSTONES = "DELETE FROM state_log WHERE op = 2";

    private final GroupCommitWriter writer;
    private final StateConfig config;
    private final Clock clock;
    private final ConcurrentSkipListMap<StateKey, StateEntry> committed = new ConcurrentSkipListMap<>();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong logRows = new AtomicLong();
    /** Only the writer thread allocates versions. */
    private long lastVersion;

    @Inject
    public DuckDbStateRepository(GroupCommitWriter writer, StateConfig config, Clock clock, MeterRegistry registry) {
        this.writer = requireNonNull(writer, "writer is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        Gauge.builder("quantbot.state.keys", committed, Map::size)
                .description("Keys in the state store (including expired ones not yet purged)")
                .register(registry);
        Gauge.builder("quantbot.state.live_bytes", liveBytes, AtomicLong::get)
                .description("Total size of the values in the state store")
                .baseUnit("bytes")
                .register(registry);
    }

    /** Rebuilds the in-memory index from the database; call once at start, before serving. */
    public void load(Connection connection) throws SQLException {
        committed.clear();
        long bytes = 0;
        try (Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery(MAX_VERSION)) {
                rows.next();
                lastVersion = rows.getLong(1);
                logRows.set(rows.getLong(2));
            }
            try (ResultSet rows = statement.executeQuery(LOAD)) {
                while (rows.next()) {
                    if (rows.getByte(3) != OP_PUT) {
                        continue;
                    }
                    StateKey key = new StateKey(rows.getString(1), rows.getString(2));
                    StateValue value = rows.getByte(4) == KIND_JSON ? new StateValue.Json(rows.getString(5)) : new StateValue.Raw(rows.getBytes(6));
                    StateEntry entry = new StateEntry(key, value, rows.getLong(7), rows.getLong(8), rows.getLong(9), rows.getLong(10));
                    committed.put(key, entry);
                    bytes += value.size();
                }
            }
        }
        liveBytes.set(bytes);
        log.info("Loaded {} state keys ({} bytes) from {} log rows; last version {}", committed.size(), bytes, logRows.get(), lastVersion);
    }

    @Override
    public Optional<StateEntry> find(StateKey key) {
        return Optional.ofNullable(committed.get(key));
    }

    @Override
    public List<StateEntry> scan(String namespace, String prefix, String afterKey, int limit, long nowMs) {
        boolean continuing = !afterKey.isEmpty() && afterKey.compareTo(prefix) >= 0;
        StateKey from = new StateKey(namespace, continuing ? afterKey : prefix);
        ConcurrentNavigableMap<StateKey, StateEntry> tail = committed.tailMap(from, !continuing);
        List<StateEntry> page = new ArrayList<>(Math.min(limit, 1024));
        for (StateEntry entry : tail.values()) {
            StateKey key = entry.key();
            if (!key.namespace().equals(namespace) || !key.key().startsWith(prefix)) {
                break;
            }
            if (entry.isExpiredAt(nowMs)) {
                continue;
            }
            page.add(entry);
            if (page.size() >= limit) {
                break;
            }
        }
        return page;
    }

    @Override
    public CompletableFuture<List<StateOperationResult>> execute(List<StateOperation> operations) {
        boolean readOnly = operations.stream().allMatch(op -> op instanceof StateOperation.Get || op instanceof StateOperation.Check);
        return writer.submit(new StateWrite(operations, readOnly)).thenApply(StateTransactionEvaluator.Evaluation::results);
    }

    @Override
    public long liveBytes() {
        return liveBytes.get();
    }

    @Override
    public long size() {
        return committed.size();
    }

    /** Removes expired keys from disk and memory, and compacts the log when it holds mostly dead rows. */
    public CompletableFuture<Long> purge() {
        return writer.submit(new PurgeTask());
    }

    /** Evaluation and persistence of one atomic state call, on the writer thread. */
    private final class StateWrite implements WriteTask<StateTransactionEvaluator.Evaluation> {
        private final List<StateOperation> operations;
        private final boolean readOnly;

        private StateWrite(List<StateOperation> operations, boolean readOnly) {
            this.operations = operations;
            this.readOnly = readOnly;
        }

        @Override
        public StateTransactionEvaluator.Evaluation apply(WriteContext context) throws SQLException {
            Overlay overlay = context.batchLocal(DuckDbStateRepository.this, Overlay::new);
            StateTransactionEvaluator.Evaluation evaluation = StateTransactionEvaluator.evaluate(
                    operations, overlay, clock.millis(), () -> ++lastVersion, config.maxTotalBytes());
            if (readOnly || evaluation.mutations().isEmpty()) {
                return evaluation;
            }
            DuckDBAppender appender = context.appender("state_log");
            for (StateMutation mutation : evaluation.mutations()) {
                append(appender, mutation);
                overlay.record(mutation);
            }
            overlay.bytesDelta += evaluation.bytesDelta();
            return evaluation;
        }

        @Override
        public void afterCommit(StateTransactionEvaluator.Evaluation evaluation) {
            // Exact accounting against the index (the evaluation's delta treats expired entries as absent).
            long delta = 0;
            for (StateMutation mutation : evaluation.mutations()) {
                StateEntry previous;
                if (mutation instanceof StateMutation.Upsert upsert) {
                    previous = committed.put(upsert.key(), upsert.entry());
                    delta += upsert.entry().value().size();
                } else {
                    previous = committed.remove(mutation.key());
                }
                if (previous != null) {
                    delta -= previous.value().size();
                }
            }
            liveBytes.addAndGet(delta);
            logRows.addAndGet(evaluation.mutations().size());
        }

        @Override
        public boolean writes() {
            return !readOnly;
        }

        @Override
        public String name() {
            return "state.write";
        }
    }

    /** What earlier tasks of the same group-commit batch changed, so later ones see it before the commit. */
    private final class Overlay implements StateTransactionEvaluator.View {
        private final Map<StateKey, Optional<StateEntry>> pending = new HashMap<>();
        private long bytesDelta;

        void record(StateMutation mutation) {
            if (mutation instanceof StateMutation.Upsert upsert) {
                pending.put(upsert.key(), Optional.of(upsert.entry()));
            } else {
                pending.put(mutation.key(), Optional.empty());
            }
        }

        @Override
        public Optional<StateEntry> lookup(StateKey key) {
            Optional<StateEntry> local = pending.get(key);
            return local != null ? local : Optional.ofNullable(committed.get(key));
        }

        @Override
        public long liveBytes() {
            return liveBytes.get() + bytesDelta;
        }
    }

    private final class PurgeTask implements WriteTask<Long> {
        private final List<StateEntry> expired = new ArrayList<>();

        @Override
        public Long apply(WriteContext context) throws SQLException {
            long now = clock.millis();
            for (StateEntry entry : committed.values()) {
                if (entry.isExpiredAt(now)) {
                    expired.add(entry);
                }
            }
            Connection connection = context.connection();
            long removed = 0;
            if (!expired.isEmpty()) {
                try (PreparedStatement create = connection.prepareStatement(CREATE_PURGE)) {
                    create.setLong(1, now);
                    create.execute();
                }
                try (Statement statement = connection.createStatement()) {
                    removed += statement.executeUpdate(PURGE);
                    statement.execute(DROP_PURGE);
                }
            }
            long rows = logRows.get() - removed;
            if (rows > 2L * committed.size() + 10_000) {
                try (Statement statement = connection.createStatement()) {
                    removed += statement.executeUpdate(COMPACT_SUPERSEDED);
                    removed += statement.executeUpdate(COMPACT_TOMBSTONES);
                }
            }
            return removed;
        }

        @Override
        public void afterCommit(Long removedRows) {
            long bytes = 0;
            for (StateEntry entry : expired) {
                if (committed.remove(entry.key(), entry)) {
                    bytes += entry.value().size();
                }
            }
            liveBytes.addAndGet(-bytes);
            logRows.addAndGet(-removedRows);
            if (removedRows > 0) {
                log.debug("Purged {} expired keys; removed {} state log rows", expired.size(), removedRows);
            }
        }

        @Override
        public String name() {
            return "state.purge";
        }
    }

    private static void append(DuckDBAppender appender, StateMutation mutation) throws SQLException {
        appender.beginRow();
        appender.append(mutation.version());
        appender.append(mutation.key().namespace());
        appender.append(mutation.key().key());
        if (mutation instanceof StateMutation.Upsert upsert) {
            StateEntry entry = upsert.entry();
            appender.append(OP_PUT);
            if (entry.value() instanceof StateValue.Json json) {
                appender.append(KIND_JSON);
                appender.append(json.text());
                appender.appendNull();
            } else {
                appender.append(KIND_RAW);
                appender.appendNull();
                appender.append(((StateValue.Raw) entry.value()).bytes());
            }
            appender.append(entry.createdAtMs());
            appender.append(entry.updatedAtMs());
            appender.append(entry.expiresAtMs());
        } else {
            StateMutation.Tombstone tombstone = (StateMutation.Tombstone) mutation;
            appender.append(OP_DELETE);
            appender.appendNull();
            appender.appendNull();
            appender.appendNull();
            appender.append(tombstone.atMs());
            appender.append(tombstone.atMs());
            appender.append(0L);
        }
        appender.endRow();
    }
}
