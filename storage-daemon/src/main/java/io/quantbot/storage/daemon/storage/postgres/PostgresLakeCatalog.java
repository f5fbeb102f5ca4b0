package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactIds;
import io.quantbot.storage.daemon.artifact.ArtifactLocation;
import io.quantbot.storage.daemon.artifact.ArtifactQuery;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.artifact.CatalogRules;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.artifact.Provenance;
import io.quantbot.storage.daemon.artifact.Registration;
import io.quantbot.storage.daemon.artifact.StagedArtifact;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.storage.CatalogMetrics;
import io.quantbot.storage.daemon.storage.LakeFiles;
import io.quantbot.storage.daemon.storage.WarehouseSpace;
import io.quantbot.storage.daemon.storage.LakeIntegrity;
import io.quantbot.storage.daemon.storage.LakeOutbox;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The artifact catalog on the cluster's PostgreSQL (schema V002), with the embedded catalog's semantics, and its files
 * in the cluster's shared warehouse ({@code cluster.warehouse}), so every daemon serves every artifact.
 *
 * <p><b>Dedup by constraint.</b> A publish moves its file into the warehouse under a name that carries its new artifact
 * id (no two publishes ever write one path), then inserts the row with {@code ON CONFLICT DO NOTHING}: the partial
 * unique indexes over active artifacts ({@link CatalogRules#dedupKeys}: type, logical key and file hash; type, logical
 * key and content hash) decide. An insert that did nothing reads the winner and answers it with deduped = true, and
 * the file it moved is removed after the transaction ends. No read decides before the write, so two daemons publishing
 * the same content at one instant end with one artifact.
 *
 * <p>Reads are single queries with the filters, the page bound and the limit in SQL, newest (largest id) first.
 * Writes run on a small pool of this daemon's threads, each in one PostgreSQL transaction ({@link
 * PostgresDatabase#transaction}), answered after COMMIT.
 */
@Singleton
public final class PostgresLakeCatalog implements LakeCatalog, LakeOutbox {
    private static final Logger log = LoggerFactory.getLogger(PostgresLakeCatalog.class);
    private static final TypeReference<List<Map<String, String>>> COLUMNS = new TypeReference<>() {};
    private static final int QUEUE = 4096;
    /** How often an insert that hit a unique key looks again when the winner was retired before it was read. */
    private static final int CONFLICT_ATTEMPTS = 5;

    private static final String RECORD_COLUMNS = "artifact_id, type, schema_version, logical_key, status, path, sidecar_path, file_hash,"
            + " content_hash, row_count, size_bytes, min_ts_ms, max_ts_ms, created_at_ms, superseded_by, writer, writer_version, params_json,"
            + " columns_json";
    private static final String SELECT_RECORDS = "SELECT " + RECORD_COLUMNS + " FROM artifacts a";
    /** The columns {@link #bindRecord} binds, in its order: a record, the reason of its status, and the node that registered it. */
    static final String INSERT_COLUMNS = RECORD_COLUMNS + ", status_reason, node_id";
    static final String INSERT_VALUES = "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_ARTIFACT = "INSERT INTO artifacts (" + INSERT_COLUMNS + ") " + INSERT_VALUES + " ON CONFLICT DO NOTHING";
    static final String INSERT_TAG = "INSERT INTO artifact_tags (artifact_id, tag_key, tag_value) VALUES (?, ?, ?)";
    private static final String INSERT_LINEAGE = "INSERT INTO artifact_lineage (output_id, position, input_id) VALUES (?, ?, ?)";
    static final String INSERT_SUPERSEDE = "INSERT INTO artifact_supersedes (old_id, new_id, reason, at_ms) VALUES (?, ?, ?, ?)";
    private static final String DUPLICATES = SELECT_RECORDS
            + " WHERE type = ? AND logical_key = ? AND status = 'active' AND (file_hash = ? OR content_hash = ?)";
    private static final String SUPERSEDE_LOGICAL_KEY = "UPDATE artifacts SET status = 'superseded', superseded_by = ?, status_reason = ?"
            + " WHERE type = ? AND logical_key = ? AND status = 'active' AND artifact_id <> ? RETURNING artifact_id";
    private static final String UPDATE_STATUS = "UPDATE artifacts SET status = ?, superseded_by = ?, status_reason = ? WHERE artifact_id = ?";
    private static final String LOCK_FOR_RETIRE = "SELECT artifact_id FROM artifacts WHERE artifact_id = ANY (?) ORDER BY artifact_id FOR UPDATE";
    private static final String EXISTING_IDS = "SELECT artifact_id FROM artifacts WHERE artifact_id = ANY (?)";
    private static final String LOGICAL_KEY_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(?, 7))";

    private final PostgresDatabase database;
    private final PostgresRunLeases runLeases;
    private final Path warehouse;
    private final LakeFiles files;
    /** The warehouse may fill up apart from the node's disk: writes there are refused DISK_FULL, never half done. */
    private final WarehouseSpace space;
    private final LakeIntegrity integrity;
    private final Clock clock;
    private final String nodeId;
    private final ThreadPoolExecutor writers;
    private final Counter deduplicated;
    private final Counter commits;
    private final Counter dedupConflicts;
    private final java.util.List<Runnable> commitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Inject
    public PostgresLakeCatalog(PostgresDatabase database, PostgresRunLeases runLeases, ClusterConfig cluster, WarehouseSpace space, Clock clock,
            MeterRegistry registry) {
        this.database = requireNonNull(database, "database is null");
        this.space = requireNonNull(space, "space is null");
        this.runLeases = requireNonNull(runLeases, "runLeases is null");
        this.warehouse = Path.of(cluster.warehouse()).toAbsolutePath().normalize();
        this.files = new LakeFiles(warehouse);
        this.integrity = new LakeIntegrity(warehouse, registry);
        this.clock = requireNonNull(clock, "clock is null");
        this.nodeId = cluster.nodeId();
        int threads = cluster.poolSize();
        this.writers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), runnable -> {
            Thread thread = new Thread(runnable, "postgres-catalog-writer");
            thread.setDaemon(true);
            return thread;
        });
        this.deduplicated = Counter.builder("quantbot.catalog.deduplicated")
                .description("Publishes that found identical content already registered")
                .register(registry);
        this.commits = CatalogMetrics.commits(registry, "cluster");
        this.dedupConflicts = Counter.builder("quantbot.catalog.dedup_conflicts")
                .description("Cluster mode: catalog inserts a unique key refused because another publish (often another daemon's) had"
                        + " registered the same content first; each answered the winner with deduped = true")
                .register(registry);
    }

    /** The lake root every daemon of the cluster shares. */
    public Path warehouse() {
        return warehouse;
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<ArtifactRecord> get(String id) {
        return Optional.ofNullable(getAll(List.of(id)).get(id));
    }

    @Override
    public List<ArtifactRecord> list(ArtifactQuery query, String beforeId, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1");
        }
        StringBuilder sql = new StringBuilder(SELECT_RECORDS).append(" WHERE status = ANY (?)");
        List<Object> parameters = new ArrayList<>();
        parameters.add(query.statuses().stream().map(ArtifactStatus::dbValue).toArray(String[]::new));
        if (query.type().isPresent()) {
            sql.append(" AND type = ?");
            parameters.add(query.type().get());
        }
        if (!beforeId.isEmpty()) {
            sql.append(" AND artifact_id < ?");
            parameters.add(beforeId);
        }
        for (Map.Entry<String, String> tag : query.tags().entrySet()) {
            sql.append(" AND EXISTS (SELECT 1 FROM artifact_tags t WHERE t.artifact_id = a.artifact_id AND t.tag_key = ? AND t.tag_value = ?)");
            parameters.add(tag.getKey());
            parameters.add(tag.getValue());
        }
        // ArtifactRecord.overlaps: [min, max] overlaps [from, to); 0 bounds are open; an artifact without times matches only
        // an open range.
        if (query.fromMs() != 0 || query.toMs() != 0) {
            sql.append(" AND NOT (min_ts_ms = 0 AND max_ts_ms = 0)");
            if (query.toMs() != 0) {
                sql.append(" AND min_ts_ms < ?");
                parameters.add(query.toMs());
            }
            if (query.fromMs() != 0) {
                sql.append(" AND max_ts_ms >= ?");
                parameters.add(query.fromMs());
            }
        }
        sql.append(" ORDER BY artifact_id DESC LIMIT ?");
        parameters.add(limit);
        List<ArtifactRecord> page = database.read(connection -> select(connection, sql.toString(), parameters));
        // The SQL filter is the query's; matches() is kept as the one definition of it.
        return page.stream().filter(query::matches).toList();
    }

    @Override
    public Map<String, ArtifactRecord> getAll(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        List<ArtifactRecord> found = database.read(connection -> select(connection, SELECT_RECORDS + " WHERE artifact_id = ANY (?)",
                List.<Object>of((Object) ids.toArray(String[]::new))));
        Map<String, ArtifactRecord> byId = new HashMap<>();
        found.forEach(record -> byId.put(record.id(), record));
        Map<String, ArtifactRecord> ordered = new LinkedHashMap<>();
        for (String id : ids) {
            ArtifactRecord record = byId.get(id);
            if (record != null) {
                ordered.put(id, record);
            }
        }
        return ordered;
    }

    @Override
    public List<ArtifactRecord> findByLogicalKey(String type, String logicalKey) {
        return database.read(connection -> select(connection, SELECT_RECORDS + " WHERE type = ? AND logical_key = ? ORDER BY artifact_id DESC",
                List.of(type, logicalKey)));
    }

    @Override
    public List<ArtifactRecord> findActiveByTags(String type, Map<String, String> tags) {
        return list(new ArtifactQuery(Optional.of(type), Set.of(ArtifactStatus.ACTIVE), tags, 0, 0), "", Integer.MAX_VALUE);
    }

    @Override
    public Map<String, List<String>> outputsOf(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        return database.read(connection -> {
            Map<String, List<String>> outputs = new LinkedHashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT input_id, output_id FROM artifact_lineage WHERE input_id = ANY (?) ORDER BY output_id, position")) {
                select.setArray(1, connection.createArrayOf("text", ids.toArray(String[]::new)));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        List<String> outs = outputs.computeIfAbsent(rows.getString(1), ignored -> new ArrayList<>());
                        if (!outs.contains(rows.getString(2))) {
                            outs.add(rows.getString(2));
                        }
                    }
                }
            }
            return outputs;
        });
    }

    @Override
    public ArtifactLocation location(ArtifactRecord record) {
        return ArtifactLocation.of(warehouse.resolve(record.path()));
    }

    /** The file in the shared warehouse once {@link LakeIntegrity} has checked it still holds the registered bytes (else DATA_LOSS). */
    @Override
    public Path localFile(ArtifactRecord record) {
        return integrity.verified(record);
    }

    // ---------------------------------------------------------------- writes

    @Override
    public CompletableFuture<Registration> register(StagedArtifact staged) {
        return registerAll(List.of(staged)).thenApply(list -> list.get(0));
    }

    @Override
    public CompletableFuture<List<Registration>> registerAll(List<StagedArtifact> staged) {
        List<Placed> placed = new ArrayList<>(staged.size());
        try {
            for (StagedArtifact artifact : staged) {
                placed.add(place(artifact));
            }
        } catch (RuntimeException e) {
            for (StagedArtifact artifact : staged) {
                deleteQuietly(artifact.stagedFile());
            }
            for (Placed item : placed) {
                deleteQuietly(item.file());
                deleteQuietly(item.sidecar());
            }
            throw e;
        }
        return submit(() -> {
            List<Registration> results;
            try {
                results = database.transaction("catalog.register", connection -> registerIn(connection, placed));
            } catch (StorageException e) {
                if (e.code() != ErrorCode.STORAGE_UNAVAILABLE) {
                    removeFiles(placed);
                }
                // UNAVAILABLE may be a COMMIT whose outcome is unknown: the rows may name these files, so they stay (a file no
                // row names is the smaller harm).
                throw e;
            } catch (RuntimeException e) {
                removeFiles(placed);
                throw e;
            }
            commits.increment();
            List<Placed> unused = new ArrayList<>();
            for (int i = 0; i < placed.size(); i++) {
                if (placed.get(i).conflicted()) {
                    dedupConflicts.increment();
                }
                if (results.get(i).deduped()) {
                    deduplicated.increment();
                    unused.add(placed.get(i));
                }
            }
            // Each placed file has its own name (its artifact id), so a deduped one is never the winner's file.
            removeFiles(unused);
            return results;
        });
    }

    /** One attempt of a registration transaction (PostgresDatabase may run it again on a fresh snapshot). */
    private List<Registration> registerIn(Connection connection, List<Placed> placed) throws SQLException {
        Set<String> inserted = new HashSet<>();
        checkInputs(connection, placed);
        List<Registration> results = new ArrayList<>(placed.size());
        for (Placed item : placed) {
            ArtifactRecord record = item.record();
            for (String input : record.inputIds()) {
                if (!inserted.contains(input) && !item.existingInputs().contains(input)) {
                    throw notFound(input, "input artifact " + input + " does not exist");
                }
            }
            if (item.staged().supersedeExisting()) {
                // Publishes that replace a logical key take turns on it, so each retires every artifact active before it.
                try (PreparedStatement lock = connection.prepareStatement(LOGICAL_KEY_LOCK)) {
                    lock.setString(1, record.type() + "\n" + record.logicalKey());
                    lock.execute();
                }
            }
            Optional<ArtifactRecord> winner = Optional.empty();
            boolean stored = false;
            for (int attempt = 1; attempt <= CONFLICT_ATTEMPTS && !stored && winner.isEmpty(); attempt++) {
                stored = insertArtifact(connection, record);
                if (!stored) {
                    // A unique key refused it: the winner is committed (ON CONFLICT waits for an in-flight insert to end).
                    winner = CatalogRules.duplicateOf(item.staged(), select(connection, DUPLICATES,
                            List.of(record.type(), record.logicalKey(), record.fileHash(), record.contentHash())));
                }
            }
            if (winner.isPresent()) {
                item.conflicted(true);
                runLeases.sealIn(connection, item.staged().sealedRunIds(), winner.get().id());
                results.add(new Registration(winner.get(), true));
                continue;
            }
            if (!stored) {
                throw new IllegalStateException("artifact " + record.id() + " was refused by a unique key " + CONFLICT_ATTEMPTS
                        + " times, but no active artifact holds its content");
            }
            inserted.add(record.id());
            runLeases.sealIn(connection, item.staged().sealedRunIds(), record.id());
            insertTagsAndLineage(connection, record);
            if (item.staged().supersedeExisting()) {
                supersedeLogicalKey(connection, record);
            }
            results.add(new Registration(record, false));
        }
        return results;
    }

    private void checkInputs(Connection connection, List<Placed> placed) throws SQLException {
        Set<String> wanted = new HashSet<>();
        placed.forEach(item -> wanted.addAll(item.record().inputIds()));
        Set<String> existing = new HashSet<>();
        if (!wanted.isEmpty()) {
            try (PreparedStatement select = connection.prepareStatement(EXISTING_IDS)) {
                select.setArray(1, connection.createArrayOf("text", wanted.toArray(String[]::new)));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        existing.add(rows.getString(1));
                    }
                }
            }
        }
        for (Placed item : placed) {
            item.existingInputs().clear();
            item.existingInputs().addAll(existing);
            item.conflicted(false);
        }
    }

    @Override
    public CompletableFuture<ArtifactRecord> supersede(String id, Optional<String> replacementId, String reason) {
        return submit(() -> {
            ArtifactRecord result = database.transaction("catalog.supersede", connection -> {
                List<String> ids = new ArrayList<>();
                ids.add(id);
                replacementId.ifPresent(ids::add);
                try (PreparedStatement lock = connection.prepareStatement(LOCK_FOR_RETIRE)) {
                    lock.setArray(1, connection.createArrayOf("text", ids.toArray(String[]::new)));
                    lock.executeQuery().close();
                }
                Map<String, ArtifactRecord> found = new HashMap<>();
                select(connection, SELECT_RECORDS + " WHERE artifact_id = ANY (?)", List.<Object>of((Object) ids.toArray(String[]::new)))
                        .forEach(record -> found.put(record.id(), record));
                ArtifactRecord record = found.get(id);
                if (record == null) {
                    throw notFound(id, "no artifact " + id);
                }
                CatalogRules.requireActive(record);
                Optional<ArtifactRecord> replacement = Optional.empty();
                if (replacementId.isPresent()) {
                    replacement = Optional.ofNullable(found.get(replacementId.get()));
                    if (replacement.isEmpty()) {
                        throw notFound(replacementId.get(), "no artifact " + replacementId.get());
                    }
                }
                ArtifactStatus status = CatalogRules.checkSupersede(record, replacement);
                try (PreparedStatement update = connection.prepareStatement(UPDATE_STATUS)) {
                    update.setString(1, status.dbValue());
                    update.setString(2, replacementId.orElse(null));
                    update.setString(3, reason);
                    update.setString(4, id);
                    update.executeUpdate();
                }
                insertSupersede(connection, id, replacementId, reason);
                return record.withStatus(status, replacementId);
            });
            commits.increment();
            return result;
        });
    }

    /** Moves the staged file into the warehouse under its own name and writes its sidecar, both fsynced; the row follows. */
    private Placed place(StagedArtifact staged) {
        String id = ArtifactIds.newArtifactId(clock.millis());
        Path target = files.placeUnique(staged.type(), staged.schemaVersion(), staged.logicalKey(), staged.contentHash(), staged.extension(), id);
        Path sidecar = LakeFiles.sidecarOf(target);
        ArtifactRecord record = new ArtifactRecord(id, staged.type(), staged.schemaVersion(), staged.logicalKey(), ArtifactStatus.ACTIVE,
                files.relative(target), files.relative(sidecar), staged.fileHash(), staged.contentHash(), staged.rowCount(), staged.sizeBytes(),
                staged.minTsMs(), staged.maxTsMs(), clock.millis(), staged.tags(), staged.inputIds(), Optional.empty(), staged.provenance(),
                staged.columns());
        space.requireSpace(staged.sizeBytes());
        try {
            files.moveIntoLake(staged.stagedFile(), target);
        } catch (RuntimeException e) {
            deleteQuietly(target);
            throw space.refusal(e);
        }
        Placed placed = new Placed(staged, record, target, sidecar);
        try {
            files.writeSidecar(sidecar, record);
        } catch (RuntimeException e) {
            deleteQuietly(target);
            deleteQuietly(sidecar);
            throw space.refusal(e);
        }
        return placed;
    }

    private boolean insertArtifact(Connection connection, ArtifactRecord record) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT_ARTIFACT)) {
            bindRecord(insert, record, Optional.empty(), nodeId);
            return insert.executeUpdate() == 1;
        }
    }

    /** Binds an artifact record to an insert of {@link #INSERT_COLUMNS} (this catalog's, and {@code migrate}'s). */
    static void bindRecord(PreparedStatement insert, ArtifactRecord record, Optional<String> statusReason, String nodeId) throws SQLException {
        int i = 1;
        insert.setString(i++, record.id());
        insert.setString(i++, record.type());
        insert.setInt(i++, record.schemaVersion());
        insert.setString(i++, record.logicalKey());
        insert.setString(i++, record.status().dbValue());
        insert.setString(i++, record.path());
        insert.setString(i++, record.sidecarPath());
        insert.setString(i++, record.fileHash());
        insert.setString(i++, record.contentHash());
        insert.setLong(i++, record.rowCount());
        insert.setLong(i++, record.sizeBytes());
        insert.setLong(i++, record.minTsMs());
        insert.setLong(i++, record.maxTsMs());
        insert.setLong(i++, record.createdAtMs());
        insert.setString(i++, record.supersededBy().orElse(null));
        insert.setString(i++, record.provenance().writer());
        insert.setString(i++, record.provenance().writerVersion());
        insert.setString(i++, record.provenance().paramsJson());
        try {
            insert.setString(i++, LakeFiles.JSON.writeValueAsString(LakeFiles.columns(record.columns())));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        insert.setString(i++, statusReason.orElse(null));
        insert.setString(i, nodeId);
    }

    private static void insertTagsAndLineage(Connection connection, ArtifactRecord record) throws SQLException {
        insertTags(connection, INSERT_TAG, record);
        if (!record.inputIds().isEmpty()) {
            try (PreparedStatement insert = connection.prepareStatement(INSERT_LINEAGE)) {
                int position = 0;
                for (String input : record.inputIds()) {
                    insert.setString(1, record.id());
                    insert.setInt(2, position++);
                    insert.setString(3, input);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    /** The record's tags through {@code sql} (artifact id, key, value: {@link #INSERT_TAG}, or {@code migrate}'s variant of it). */
    static void insertTags(Connection connection, String sql, ArtifactRecord record) throws SQLException {
        if (record.tags().isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(sql)) {
            for (Map.Entry<String, String> tag : record.tags().entrySet()) {
                insert.setString(1, record.id());
                insert.setString(2, tag.getKey());
                insert.setString(3, tag.getValue());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private void supersedeLogicalKey(Connection connection, ArtifactRecord fresh) throws SQLException {
        List<String> retired = new ArrayList<>();
        try (PreparedStatement update = connection.prepareStatement(SUPERSEDE_LOGICAL_KEY)) {
            update.setString(1, fresh.id());
            update.setString(2, "replaced by a newer publish");
            update.setString(3, fresh.type());
            update.setString(4, fresh.logicalKey());
            update.setString(5, fresh.id());
            try (ResultSet rows = update.executeQuery()) {
                while (rows.next()) {
                    retired.add(rows.getString(1));
                }
            }
        }
        for (String old : retired) {
            insertSupersede(connection, old, Optional.of(fresh.id()), "replaced by a newer publish");
        }
    }

    private void insertSupersede(Connection connection, String oldId, Optional<String> newId, String reason) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT_SUPERSEDE)) {
            insert.setString(1, oldId);
            insert.setString(2, newId.orElse(null));
            insert.setString(3, reason);
            insert.setLong(4, clock.millis());
            insert.executeUpdate();
        }
    }

    /** The records a query selects (its columns are {@link #RECORD_COLUMNS}), with their tags and lineage inputs, in row order. */
    private static List<ArtifactRecord> select(Connection connection, String sql, List<Object> parameters) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        List<long[]> numbers = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                Object parameter = parameters.get(i);
                if (parameter instanceof String[] array) {
                    select.setArray(i + 1, connection.createArrayOf("text", array));
                } else {
                    select.setObject(i + 1, parameter);
                }
            }
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(new String[] {result.getString(1), result.getString(2), result.getString(4), result.getString(5), result.getString(6),
                            result.getString(7), result.getString(8), result.getString(9), result.getString(15), result.getString(16),
                            result.getString(17), result.getString(18), result.getString(19)});
                    numbers.add(new long[] {result.getInt(3), result.getLong(10), result.getLong(11), result.getLong(12), result.getLong(13),
                            result.getLong(14)});
                }
            }
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        String[] ids = rows.stream().map(row -> row[0]).toArray(String[]::new);
        Map<String, Map<String, String>> tags = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT artifact_id, tag_key, tag_value FROM artifact_tags WHERE artifact_id = ANY (?) ORDER BY artifact_id, tag_key")) {
            select.setArray(1, connection.createArrayOf("text", ids));
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    tags.computeIfAbsent(result.getString(1), ignored -> new LinkedHashMap<>()).put(result.getString(2), result.getString(3));
                }
            }
        }
        Map<String, List<String>> inputs = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT output_id, input_id FROM artifact_lineage WHERE output_id = ANY (?) ORDER BY output_id, position")) {
            select.setArray(1, connection.createArrayOf("text", ids));
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    inputs.computeIfAbsent(result.getString(1), ignored -> new ArrayList<>()).add(result.getString(2));
                }
            }
        }
        List<ArtifactRecord> records = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            long[] number = numbers.get(i);
            String id = row[0];
            records.add(new ArtifactRecord(id, row[1], (int) number[0], row[2], ArtifactStatus.fromDbValue(row[3]), row[4], row[5], row[6],
                    row[7], number[1], number[2], number[3], number[4], number[5], tags.getOrDefault(id, Map.of()),
                    inputs.getOrDefault(id, List.of()), Optional.ofNullable(row[8]), new Provenance(row[9], row[10], row[11]),
                    parseColumns(row[12])));
        }
        return records;
    }

    private <T> CompletableFuture<T> submit(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            writers.execute(() -> {
                try {
                    T value = work.get();
                    notifyCommitted();
                    result.complete(value);
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            throw StorageException.builder(ErrorCode.QUEUE_FULL, "too many catalog writes wait for PostgreSQL (" + QUEUE + " queued); retry shortly")
                    .retryAfter(Duration.ofMillis(200))
                    .build();
        }
        return result;
    }

    // ---------------------------------------------------------------- the lake outbox (V004)

    private static final String LAKE_PENDING = "(a.status = 'active' AND a.lake_snapshot_id IS NULL OR a.status <> 'active'"
            + " AND a.lake_snapshot_id >= 0 AND a.lake_retired_snapshot_id IS NULL) AND a.type = ANY (?) AND a.path LIKE '%.parquet'";

    @Override
    public boolean claimNext(Set<String> types, java.util.function.Function<Pending, Long> work) {
        return database.transaction("catalog.lake_outbox", connection -> {
            List<ArtifactRecord> claimed = select(connection, SELECT_RECORDS + " WHERE " + LAKE_PENDING
                    + " ORDER BY a.artifact_id LIMIT 1 FOR UPDATE SKIP LOCKED", List.<Object>of((Object) types.toArray(String[]::new)));
            if (claimed.isEmpty()) {
                return false;
            }
            ArtifactRecord record = claimed.get(0);
            boolean retire = record.status() != ArtifactStatus.ACTIVE;
            Long snapshot = work.apply(new Pending(record, warehouse.resolve(record.path()), retire));
            try (PreparedStatement update = connection.prepareStatement("UPDATE artifacts SET "
                    + (retire ? "lake_retired_snapshot_id" : "lake_snapshot_id") + " = ? WHERE artifact_id = ?")) {
                update.setLong(1, snapshot);
                update.setString(2, record.id());
                update.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public long pendingCount(Set<String> types) {
        return database.read(connection -> {
            try (PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM artifacts a WHERE " + LAKE_PENDING)) {
                count.setArray(1, connection.createArrayOf("text", types.toArray(String[]::new)));
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    return rows.getLong(1);
                }
            }
        });
    }

    @Override
    public void onCommitted(Runnable listener) {
        commitListeners.add(requireNonNull(listener, "listener is null"));
    }

    private void notifyCommitted() {
        for (Runnable listener : commitListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("A catalog commit listener failed (the lake reconciler catches up)", e);
            }
        }
    }

    /** Stops the writer threads (queued writes still run first, up to a bound). */
    public void stop() throws InterruptedException {
        writers.shutdown();
        if (!writers.awaitTermination(10, TimeUnit.SECONDS)) {
            writers.shutdownNow();
        }
    }

    private static List<ColumnSpec> parseColumns(String json) {
        try {
            return LakeFiles.JSON.readValue(json, COLUMNS).stream().map(c -> new ColumnSpec(c.get("name"), c.get("type"))).toList();
        } catch (IOException e) {
            throw new IllegalStateException("bad columns_json in the catalog: " + json, e);
        }
    }

    private void removeFiles(List<Placed> placed) {
        for (Placed item : placed) {
            deleteQuietly(item.file());
            deleteQuietly(item.sidecar());
        }
    }

    private static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("Could not delete {}", path, e);
        }
    }

    private static StorageException notFound(String id, String message) {
        return StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, message).metadata("artifact_id", id).build();
    }

    /** A staged artifact moved into the warehouse, with the record it would register; mutable per transaction attempt. */
    private static final class Placed {
        private final StagedArtifact staged;
        private final ArtifactRecord record;
        private final Path file;
        private final Path sidecar;
        private final Set<String> existingInputs = new HashSet<>();
        private boolean conflicted;

        Placed(StagedArtifact staged, ArtifactRecord record, Path file, Path sidecar) {
            this.staged = staged;
            this.record = record;
            this.file = file;
            this.sidecar = sidecar;
        }

        StagedArtifact staged() {
            return staged;
        }

        ArtifactRecord record() {
            return record;
        }

        Path file() {
            return file;
        }

        Path sidecar() {
            return sidecar;
        }

        Set<String> existingInputs() {
            return existingInputs;
        }

        void conflicted(boolean value) {
            conflicted = value;
        }

        boolean conflicted() {
            return conflicted;
        }
    }
}
