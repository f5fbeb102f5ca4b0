package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.config.StateConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * StatePort on the cluster's PostgreSQL, with the embedded engine's semantics: every call is evaluated by
 * {@link StateTransactionEvaluator} inside one PostgreSQL transaction that holds row locks on the keys it reads
 * ({@code SELECT … FOR UPDATE}), so a compare-and-set through any daemon sees the latest committed version. A key that
 * did not exist is inserted with a plain INSERT: when another daemon inserted it meanwhile, the primary key refuses the
 * second insert and the whole call is evaluated again against the winner (a unique key decides, never a read). Versions
 * are drawn from one sequence after the locks are held, so they only grow per key. Writes are answered after COMMIT
 * ({@code synchronous_commit = on}).
 *
 * <p>Writes are group-committed, as the embedded engine's are: a few writer threads each take the calls waiting (up to
 * {@value #MAX_GROUP}) and evaluate them one after another in one transaction, so one COMMIT (one fsync) answers them
 * all and each call sees the ones before it. A call the evaluator refuses (a version conflict, the quota) is answered
 * with its refusal and the others commit; when PostgreSQL refuses the group itself for a reason that rolled it back,
 * each call runs again alone, so only the one at fault fails. An unknown commit outcome fails every call of the group
 * with UNAVAILABLE and is never run again here.
 *
 * <p>The {@code state.max-total-bytes} quota reads live bytes summed over 16 counter rows that each write adjusts (one
 * row per group); two daemons growing the state at the same instant may together pass the quota by at most their two
 * writes.
 */
@Singleton
public final class PostgresStateRepository implements StateRepository {
    private static final Logger log = LoggerFactory.getLogger(PostgresStateRepository.class);

    private static final short KIND_JSON = 1;
    private static final short KIND_RAW = 2;
    private static final int USAGE_SHARDS = 16;
    private static final String COLUMNS = "namespace, key, value_kind, value_json, value_raw, version, created_at_ms, updated_at_ms, expires_at_ms";

    private static final String FIND = "SELECT " + COLUMNS + " FROM state_entries WHERE namespace = ? AND key = ?";
    private static final String LOCK = "SELECT " + COLUMNS + ", value_size FROM state_entries"
            + " WHERE (namespace, key) IN (SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY namespace, key FOR UPDATE";
    static final String READ_MANY = "SELECT " + COLUMNS + ", value_size FROM state_entries"
            + " WHERE (namespace, key) IN (SELECT * FROM unnest(?::text[], ?::text[]))";
    private static final String VERSIONS = "SELECT nextval('state_versions') FROM generate_series(1, ?)";
    static final String INSERT = "INSERT INTO state_entries (namespace, key, value_kind, value_json, value_raw, value_size, version,"
            + " created_at_ms, updated_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    static final String UPDATE = "UPDATE state_entries SET value_kind = ?, value_json = ?, value_raw = ?, value_size = ?, version = ?,"
            + " created_at_ms = ?, updated_at_ms = ?, expires_at_ms = ? WHERE namespace = ? AND key = ?";
    private static final String DELETE = "DELETE FROM state_entries WHERE namespace = ? AND key = ?";
    static final String USAGE = "UPDATE state_usage SET live_bytes = live_bytes + ?, keys = keys + ? WHERE shard = ?";
    private static final String TOTALS = "SELECT coalesce(sum(live_bytes), 0), coalesce(sum(keys), 0) FROM state_usage";
    private static final String PURGE = """
            WITH doomed AS (
                SELECT namespace, key FROM state_entries WHERE expires_at_ms > 0 AND expires_at_ms <= ? LIMIT 10000 FOR UPDATE SKIP LOCKED)
            DELETE FROM state_entries s USING doomed d
            WHERE s.namespace = d.namespace AND s.key = d.key AND s.expires_at_ms > 0 AND s.expires_at_ms <= ?
            RETURNING s.value_size""";

    private final PostgresDatabase database;
    private final StateConfig config;
    private final Clock clock;
    /** Most calls one group transaction evaluates. */
    static final int MAX_GROUP = 64;
    private static final int QUEUE_CAPACITY = 4096;

    private final ThreadPoolExecutor readers;
    private final java.util.concurrent.BlockingQueue<PendingWrite> pendingWrites = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final int writerCount;
    private final List<Thread> writers = new ArrayList<>();
    private volatile boolean stopping;

    private record PendingWrite(List<StateOperation> operations, CompletableFuture<List<StateOperationResult>> result) {}

    @Inject
    public PostgresStateRepository(PostgresDatabase database, StateConfig config, ClusterConfig cluster, Clock clock, MeterRegistry registry) {
        this.database = requireNonNull(database, "database is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        int threads = cluster.poolSize();
        this.readers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_CAPACITY), runnable -> {
            Thread thread = new Thread(runnable, "postgres-state-reader");
            thread.setDaemon(true);
            return thread;
        });
        // Half the pool writes (at most 4 groups in flight): with group commit a few transactions carry many calls,
        // and the other connections stay free for reads.
        this.writerCount = Math.max(1, Math.min(4, threads / 2));
        Gauge.builder("quantbot.state.keys", this, repository -> repository.totalsOrNaN()[1])
                .description("Keys in the state store (including expired ones not yet purged)")
                .register(registry);
        Gauge.builder("quantbot.state.live_bytes", this, repository -> repository.totalsOrNaN()[0])
                .description("Total size of the values in the state store")
                .baseUnit("bytes")
                .register(registry);
    }

    @Override
    public Optional<StateEntry> find(StateKey key) {
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement(FIND)) {
                select.setString(1, key.namespace());
                select.setString(2, key.key());
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(entry(rows)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<StateEntry> scan(String namespace, String prefix, String afterKey, int limit, long nowMs) {
        boolean continuing = !afterKey.isEmpty() && afterKey.compareTo(prefix) >= 0;
        String from = continuing ? afterKey : prefix;
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM state_entries WHERE namespace = ? AND key ")
                .append(continuing ? "> ?" : ">= ?");
        if (!prefix.isEmpty()) {
            // Keys are printable ASCII, so every key with the prefix sorts below prefix + DEL (bytewise, COLLATE "C").
            sql.append(" AND key < ? AND starts_with(key, ?)");
        }
        sql.append(" AND (expires_at_ms = 0 OR expires_at_ms > ?) ORDER BY key LIMIT ?");
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                int i = 1;
                select.setString(i++, namespace);
                select.setString(i++, from);
                if (!prefix.isEmpty()) {
                    select.setString(i++, prefix + '\u007f');
                    select.setString(i++, prefix);
                }
                select.setLong(i++, nowMs);
                select.setInt(i, limit);
                List<StateEntry> page = new ArrayList<>(Math.min(limit, 1024));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        page.add(entry(rows));
                    }
                }
                return page;
            }
        });
    }

    @Override
    public CompletableFuture<List<StateOperationResult>> execute(List<StateOperation> operations) {
        CompletableFuture<List<StateOperationResult>> result = new CompletableFuture<>();
        if (stopping) {
            throw StorageException.builder(ErrorCode.SHUTTING_DOWN, "the daemon is stopping; state calls are no longer taken").build();
        }
        boolean readOnly = operations.stream().allMatch(op -> op instanceof StateOperation.Get || op instanceof StateOperation.Check);
        try {
            if (readOnly) {
                readers.execute(() -> {
                    try {
                        result.complete(read(operations));
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                });
                return result;
            }
        } catch (RejectedExecutionException e) {
            throw queueFull();
        }
        startWriters();
        if (!pendingWrites.offer(new PendingWrite(operations, result))) {
            throw queueFull();
        }
        return result;
    }

    private static StorageException queueFull() {
        return StorageException.builder(ErrorCode.QUEUE_FULL, "too many state calls wait for PostgreSQL (" + QUEUE_CAPACITY + " queued); retry shortly")
                .retryAfter(Duration.ofMillis(200))
                .build();
    }

    private synchronized void startWriters() {
        if (!writers.isEmpty()) {
            return;
        }
        for (int i = 0; i < writerCount; i++) {
            Thread thread = new Thread(this::writeLoop, "postgres-state-writer-" + i);
            thread.setDaemon(true);
            writers.add(thread);
            thread.start();
        }
    }

    /** Takes the calls waiting (the first one blocking, then up to MAX_GROUP) and commits them as one group; ends once stopping and empty. */
    private void writeLoop() {
        List<PendingWrite> group = new ArrayList<>(MAX_GROUP);
        while (true) {
            PendingWrite first;
            try {
                first = pendingWrites.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (first == null) {
                if (stopping) {
                    return;
                }
                continue;
            }
            group.clear();
            group.add(first);
            pendingWrites.drainTo(group, MAX_GROUP - 1);
            try {
                commit(group);
            } catch (RuntimeException | Error e) {
                for (PendingWrite write : group) {
                    write.result().completeExceptionally(e);
                }
            }
        }
    }

    private void commit(List<PendingWrite> group) {
        if (group.size() == 1) {
            commitAlone(group.get(0));
            return;
        }
        List<Object> outcomes;
        try {
            outcomes = database.transaction("state.write", connection -> {
                short shard = (short) ThreadLocalRandom.current().nextInt(USAGE_SHARDS);
                List<Object> results = new ArrayList<>(group.size());
                for (PendingWrite write : group) {
                    try {
                        results.add(write(connection, write.operations(), shard));
                    } catch (StorageException refused) {
                        // The evaluator refused this call before it wrote anything: the others go on in the same transaction.
                        results.add(refused);
                    }
                }
                return results;
            });
        } catch (StorageException e) {
            // PostgreSQL unreachable, the commit's outcome unknown, the pool closed: the same answer for every call, and
            // none is run again (an unknown outcome may have applied them).
            for (PendingWrite write : group) {
                write.result().completeExceptionally(e);
            }
            return;
        } catch (RuntimeException e) {
            // PostgreSQL rolled the group back for something one call did (a value it refuses, say): each call alone.
            log.debug("A state write group of {} calls was refused ({}); running each alone", group.size(), e.getMessage());
            for (PendingWrite write : group) {
                commitAlone(write);
            }
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            Object outcome = outcomes.get(i);
            if (outcome instanceof StorageException refused) {
                group.get(i).result().completeExceptionally(refused);
            } else {
                @SuppressWarnings("unchecked")
                List<StateOperationResult> results = (List<StateOperationResult>) outcome;
                group.get(i).result().complete(results);
            }
        }
    }

    private void commitAlone(PendingWrite write) {
        try {
            write.result().complete(database.transaction("state.write",
                    connection -> write(connection, write.operations(), (short) ThreadLocalRandom.current().nextInt(USAGE_SHARDS))));
        } catch (RuntimeException e) {
            write.result().completeExceptionally(e);
        }
    }

    private List<StateOperationResult> read(List<StateOperation> operations) {
        // One statement: one snapshot, so every Get and Check of the call sees the same committed state.
        return database.read(connection -> {
            Map<StateKey, Stored> current = load(connection, READ_MANY, operations);
            return StateTransactionEvaluator.evaluate(operations, view(connection, current), clock.millis(), () -> {
                throw new IllegalStateException("a read-only state call allocated a version");
            }, config.maxTotalBytes()).results();
        });
    }

    private List<StateOperationResult> write(Connection connection, List<StateOperation> operations, short shard) throws SQLException {
        Map<StateKey, Stored> current = load(connection, LOCK, operations);
        int writes = 0;
        for (StateOperation operation : operations) {
            if (operation instanceof StateOperation.Put || operation instanceof StateOperation.Remove) {
                writes++;
            }
        }
        Iterator<Long> versions = versions(connection, writes).iterator();
        StateTransactionEvaluator.Evaluation evaluation = StateTransactionEvaluator.evaluate(
                operations, view(connection, current), clock.millis(), versions::next, config.maxTotalBytes());
        // The last mutation of each key is what the call leaves; earlier ones of the same key are overwritten.
        Map<StateKey, StateMutation> last = new java.util.TreeMap<>();
        for (StateMutation mutation : evaluation.mutations()) {
            last.put(mutation.key(), mutation);
        }
        long bytesDelta = 0;
        long keysDelta = 0;
        try (PreparedStatement insert = connection.prepareStatement(INSERT);
                PreparedStatement update = connection.prepareStatement(UPDATE);
                PreparedStatement delete = connection.prepareStatement(DELETE)) {
            for (StateMutation mutation : last.values()) {
                Stored before = current.get(mutation.key());
                if (mutation instanceof StateMutation.Upsert upsert) {
                    StateEntry entry = upsert.entry();
                    long size = entry.value().size();
                    if (before == null) {
                        bindInsert(insert, entry, size);
                        insert.addBatch();
                        keysDelta++;
                        bytesDelta += size;
                    } else {
                        bindUpdate(update, entry, size);
                        update.addBatch();
                        bytesDelta += size - before.size();
                    }
                } else if (before != null) {
                    delete.setString(1, mutation.key().namespace());
                    delete.setString(2, mutation.key().key());
                    delete.addBatch();
                    keysDelta--;
                    bytesDelta -= before.size();
                }
            }
            // A unique violation here (another daemon inserted one of these keys since the locks were taken) rolls the
            // call back and evaluates it again against the winner (PostgresDatabase.transaction).
            insert.executeBatch();
            update.executeBatch();
            delete.executeBatch();
        }
        if (bytesDelta != 0 || keysDelta != 0) {
            try (PreparedStatement usage = connection.prepareStatement(USAGE)) {
                usage.setLong(1, bytesDelta);
                usage.setLong(2, keysDelta);
                usage.setShort(3, shard);
                usage.executeUpdate();
            }
        }
        return evaluation.results();
    }

    /** The stored rows of every key the operations name (locked when the query says FOR UPDATE), in key order. */
    private static Map<StateKey, Stored> load(Connection connection, String sql, List<StateOperation> operations) throws SQLException {
        TreeSet<StateKey> keys = new TreeSet<>();
        for (StateOperation operation : operations) {
            keys.add(operation.key());
        }
        String[] namespaces = new String[keys.size()];
        String[] names = new String[keys.size()];
        int i = 0;
        for (StateKey key : keys) {
            namespaces[i] = key.namespace();
            names[i++] = key.key();
        }
        Map<StateKey, Stored> stored = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setArray(1, connection.createArrayOf("text", namespaces));
            select.setArray(2, connection.createArrayOf("text", names));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    StateEntry entry = entry(rows);
                    stored.put(entry.key(), new Stored(entry, rows.getLong(10)));
                }
            }
        }
        return stored;
    }

    private static List<Long> versions(Connection connection, int count) throws SQLException {
        List<Long> versions = new ArrayList<>(count);
        if (count == 0) {
            return versions;
        }
        try (PreparedStatement select = connection.prepareStatement(VERSIONS)) {
            select.setInt(1, count);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    versions.add(rows.getLong(1));
                }
            }
        }
        versions.sort(null);
        return versions;
    }

    private StateTransactionEvaluator.View view(Connection connection, Map<StateKey, Stored> current) {
        return new StateTransactionEvaluator.View() {
            @Override
            public Optional<StateEntry> lookup(StateKey key) {
                Stored stored = current.get(key);
                return stored == null ? Optional.empty() : Optional.of(stored.entry());
            }

            @Override
            public long liveBytes() {
                try {
                    return totals(connection)[0];
                } catch (SQLException e) {
                    throw new IllegalStateException("reading the state's live bytes failed: " + e.getMessage(), e);
                }
            }
        };
    }

    @Override
    public long liveBytes() {
        return database.read(PostgresStateRepository::totals)[0];
    }

    @Override
    public long size() {
        return database.read(PostgresStateRepository::totals)[1];
    }

    private double[] totalsOrNaN() {
        try {
            long[] totals = database.read(PostgresStateRepository::totals);
            return new double[] {totals[0], totals[1]};
        } catch (RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN};
        }
    }

    private static long[] totals(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(TOTALS); ResultSet rows = select.executeQuery()) {
            rows.next();
            return new long[] {rows.getLong(1), rows.getLong(2)};
        }
    }

    /** Removes keys expired at the daemon's clock (in bounded rounds); returns how many. Safe to run on every daemon at once. */
    public long purgeExpired() {
        long now = clock.millis();
        long removed = 0;
        while (true) {
            long round = database.transaction("state.purge", connection -> {
                long bytes = 0;
                long keys = 0;
                try (PreparedStatement purge = connection.prepareStatement(PURGE)) {
                    purge.setLong(1, now);
                    purge.setLong(2, now);
                    try (ResultSet rows = purge.executeQuery()) {
                        while (rows.next()) {
                            bytes += rows.getLong(1);
                            keys++;
                        }
                    }
                }
                if (keys > 0) {
                    try (PreparedStatement usage = connection.prepareStatement(USAGE)) {
                        usage.setLong(1, -bytes);
                        usage.setLong(2, -keys);
                        usage.setShort(3, (short) ThreadLocalRandom.current().nextInt(USAGE_SHARDS));
                        usage.executeUpdate();
                    }
                }
                return keys;
            });
            removed += round;
            if (round < 10_000) {
                break;
            }
        }
        if (removed > 0) {
            log.debug("Purged {} expired state keys", removed);
        }
        return removed;
    }

    /** Stops the writer and reader threads after the calls already queued (each answered). */
    public void stop() throws InterruptedException {
        stopping = true;
        List<Thread> running;
        synchronized (this) {
            running = List.copyOf(writers);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread writer : running) {
            writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        for (Thread writer : running) {
            writer.interrupt();
        }
        PendingWrite left;
        while ((left = pendingWrites.poll()) != null) {
            left.result().completeExceptionally(StorageException.builder(ErrorCode.SHUTTING_DOWN, "the daemon stopped before this state call ran").build());
        }
        readers.shutdown();
        if (!readers.awaitTermination(30, TimeUnit.SECONDS)) {
            readers.shutdownNow();
        }
    }

    /** Binds an entry to {@link #INSERT} (this repository's, and {@code migrate}'s). */
    static void bindInsert(PreparedStatement insert, StateEntry entry, long size) throws SQLException {
        int i = 1;
        insert.setString(i++, entry.key().namespace());
        insert.setString(i++, entry.key().key());
        i = bindValue(insert, i, entry.value());
        insert.setLong(i++, size);
        insert.setLong(i++, entry.version());
        insert.setLong(i++, entry.createdAtMs());
        insert.setLong(i++, entry.updatedAtMs());
        insert.setLong(i, entry.expiresAtMs());
    }

    /** Binds an entry to {@link #UPDATE} (this repository's, and {@code migrate}'s). */
    static void bindUpdate(PreparedStatement update, StateEntry entry, long size) throws SQLException {
        int i = bindValue(update, 1, entry.value());
        update.setLong(i++, size);
        update.setLong(i++, entry.version());
        update.setLong(i++, entry.createdAtMs());
        update.setLong(i++, entry.updatedAtMs());
        update.setLong(i++, entry.expiresAtMs());
        update.setString(i++, entry.key().namespace());
        update.setString(i, entry.key().key());
    }

    /** Binds a value to value_kind, value_json, value_raw from {@code index} on (this repository's, and {@code migrate}'s); answers the next index. */
    static int bindValue(PreparedStatement statement, int index, StateValue value) throws SQLException {
        int i = index;
        if (value instanceof StateValue.Json json) {
            statement.setShort(i++, KIND_JSON);
            statement.setString(i++, json.text());
            statement.setNull(i++, java.sql.Types.BINARY);
        } else {
            statement.setShort(i++, KIND_RAW);
            statement.setNull(i++, java.sql.Types.VARCHAR);
            statement.setBytes(i++, ((StateValue.Raw) value).bytes());
        }
        return i;
    }

    /** A row of namespace, key, value_kind, value_json, value_raw, version, created, updated, expires (in that order). */
    static StateEntry entry(ResultSet rows) throws SQLException {
        StateKey key = new StateKey(rows.getString(1), rows.getString(2));
        StateValue value = rows.getShort(3) == KIND_JSON ? new StateValue.Json(rows.getString(4)) : new StateValue.Raw(rows.getBytes(5));
        return new StateEntry(key, value, rows.getLong(6), rows.getLong(7), rows.getLong(8), rows.getLong(9));
    }

    private record Stored(StateEntry entry, long size) {}
}
