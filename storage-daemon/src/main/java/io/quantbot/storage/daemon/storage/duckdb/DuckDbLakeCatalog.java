package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.CatalogMetrics;
import io.quantbot.storage.daemon.storage.LakeFiles;
import io.quantbot.storage.daemon.storage.LakeIntegrity;
import com.fasterxml.jackson.core.type.TypeReference;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
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
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local {@link LakeCatalog}: files in {@code <data-dir>/lake}, records in the daemon's DuckDB
 * (written through the group-commit writer), reads from an in-memory index of the committed records
 * (ids are time-ordered, so the index iterates newest first).
 */
@Singleton
public final class DuckDbLakeCatalog implements LakeCatalog {
    private static final Logger log = LoggerFactory.getLogger(DuckDbLakeCatalog.class);
    private static final TypeReference<List<Map<String, String>>> COLUMNS = new TypeReference<>() {};

    private static final String INSERT_ARTIFACT = "INSERT INTO artifacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)";
    private static final String INSERT_TAG = "INSERT INTO artifact_tags VALUES (?, ?, ?)";
    private static final String INSERT_LINEAGE = "INSERT INTO artifact_lineage VALUES (?, ?)";
    private static final String UPDATE_STATUS = "UPDATE artifacts SET status = ?, superseded_by = ?, status_reason = ? WHERE artifact_id = ?";
    private static final String INSERT_SUPERSEDE = "INSERT INTO artifact_supersedes VALUES (?, ?, ?, ?)";
    private static final String LOAD_ARTIFACTS = """
            SELECT artifact_id, type, schema_version, logical_key, status, path, sidecar_path, file_hash, content_hash, row_count,
                   size_bytes, min_ts_ms, max_ts_ms, created_at_ms, superseded_by, writer, writer_version, params_json, columns_json
            FROM artifacts""";
    private static final String LOAD_TAGS = "SELECT artifact_id, tag_key, tag_value FROM artifact_tags";
    private static final String LOAD_LINEAGE = "SELECT input_id, output_id FROM artifact_lineage";

    private final GroupCommitWriter writer;
    private final Path dataDir;
    private final LakeFiles files;
    private final Clock clock;
    private final ConcurrentSkipListMap<String, ArtifactRecord> byId = new ConcurrentSkipListMap<>(java.util.Comparator.reverseOrder());
    private final Map<String, List<String>> byLogicalKey = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> byTag = new ConcurrentHashMap<>();
    private final Map<String, List<String>> outputs = new ConcurrentHashMap<>();
    private final Counter deduplicated;
    private final Counter commits;
    private final LakeIntegrity integrity;

    @Inject
    public DuckDbLakeCatalog(GroupCommitWriter writer, DatabaseConfig config, Clock clock, MeterRegistry registry) {
        this.writer = requireNonNull(writer, "writer is null");
        this.dataDir = config.dataDir().toAbsolutePath().normalize();
        this.files = new LakeFiles(config.dataDir());
        this.integrity = new LakeIntegrity(config.dataDir(), registry);
        this.clock = requireNonNull(clock, "clock is null");
        Gauge.builder("quantbot.catalog.artifacts", byId, Map::size)
                .description("Artifacts in the catalog (any status)")
                .register(registry);
        this.deduplicated = Counter.builder("quantbot.catalog.deduplicated")
                .description("Publishes that found identical content already registered")
                .register(registry);
        this.commits = CatalogMetrics.commits(registry, "embedded");
    }

    /** Rebuilds the in-memory index from the database; call once at start. */
    public void load(Connection connection) throws SQLException {
        Map<String, Map<String, String>> tags = new HashMap<>();
        Map<String, List<String>> inputs = new HashMap<>();
        try (Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery(LOAD_TAGS)) {
                while (rows.next()) {
                    tags.computeIfAbsent(rows.getString(1), ignored -> new LinkedHashMap<>()).put(rows.getString(2), rows.getString(3));
                }
            }
            try (ResultSet rows = statement.executeQuery(LOAD_LINEAGE)) {
                while (rows.next()) {
                    inputs.computeIfAbsent(rows.getString(2), ignored -> new ArrayList<>()).add(rows.getString(1));
                }
            }
            try (ResultSet rows = statement.executeQuery(LOAD_ARTIFACTS)) {
                while (rows.next()) {
                    String id = rows.getString(1);
                    ArtifactRecord record = new ArtifactRecord(id, rows.getString(2), rows.getInt(3), rows.getString(4),
                            ArtifactStatus.fromDbValue(rows.getString(5)), rows.getString(6), rows.getString(7), rows.getString(8),
                            rows.getString(9), rows.getLong(10), rows.getLong(11), rows.getLong(12), rows.getLong(13), rows.getLong(14),
                            tags.getOrDefault(id, Map.of()), inputs.getOrDefault(id, List.of()), Optional.ofNullable(rows.getString(15)),
                            new Provenance(rows.getString(16), rows.getString(17), rows.getString(18)), parseColumns(rows.getString(19)));
                    index(record);
                }
            }
        }
        log.info("Loaded {} artifacts into the catalog index", byId.size());
    }

    @Override
    public Optional<ArtifactRecord> get(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public List<ArtifactRecord> list(ArtifactQuery query, String beforeId, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1");
        }
        List<ArtifactRecord> matches = new ArrayList<>(Math.min(limit, 1024));
        for (ArtifactRecord record : candidates(query, beforeId)) {
            if (query.matches(record)) {
                matches.add(record);
                if (matches.size() == limit) {
                    break;
                }
            }
        }
        return matches;
    }

    /** Newest first, below beforeId: the tag index when the query names a type and a tag, else the id index from the bound on. */
    private Iterable<ArtifactRecord> candidates(ArtifactQuery query, String beforeId) {
        if (query.type().isPresent() && !query.tags().isEmpty()) {
            Map.Entry<String, String> first = query.tags().entrySet().iterator().next();
            Set<String> ids = byTag.getOrDefault(tagKey(query.type().get(), first.getKey(), first.getValue()), Set.of());
            return ids.stream()
                    .filter(id -> beforeId.isEmpty() || id.compareTo(beforeId) < 0)
                    .sorted(java.util.Comparator.reverseOrder())
                    .map(byId::get)
                    .filter(java.util.Objects::nonNull)
                    .toList();
        }
        // byId is in descending id order, so its tail after beforeId holds the smaller (older) ids.
        return beforeId.isEmpty() ? byId.values() : byId.tailMap(beforeId, false).values();
    }

    @Override
    public Map<String, ArtifactRecord> getAll(java.util.Collection<String> ids) {
        Map<String, ArtifactRecord> found = new java.util.LinkedHashMap<>();
        for (String id : ids) {
            ArtifactRecord record = byId.get(id);
            if (record != null) {
                found.put(id, record);
            }
        }
        return found;
    }

    @Override
    public List<ArtifactRecord> findByLogicalKey(String type, String logicalKey) {
        return byLogicalKey.getOrDefault(logicalKeyOf(type, logicalKey), List.of()).stream()
                .map(byId::get)
                .filter(java.util.Objects::nonNull)
                .sorted((a, b) -> b.id().compareTo(a.id()))
                .toList();
    }

    @Override
    public List<ArtifactRecord> findActiveByTags(String type, Map<String, String> tags) {
        return list(new ArtifactQuery(Optional.of(type), Set.of(ArtifactStatus.ACTIVE), tags, 0, 0), "", Integer.MAX_VALUE);
    }

    @Override
    public Map<String, List<String>> outputsOf(java.util.Collection<String> ids) {
        Map<String, List<String>> found = new java.util.LinkedHashMap<>();
        for (String id : ids) {
            List<String> outs = outputs.get(id);
            if (outs != null) {
                found.put(id, List.copyOf(outs));
            }
        }
        return found;
    }

    @Override
    public ArtifactLocation location(ArtifactRecord record) {
        return ArtifactLocation.of(dataDir.resolve(record.path()));
    }

    /** The file in the local lake once {@link LakeIntegrity} has checked it still holds the registered bytes (else DATA_LOSS). */
    @Override
    public Path localFile(ArtifactRecord record) {
        return integrity.verified(record);
    }

    /** Re-hashes every artifact's file (any status) against the catalog: the online verify operation. */
    public StorageMaintenance.IntegrityReport verifyLake() {
        return integrity.verify(byId.values().stream().map(LakeIntegrity.Entry::of).toList());
    }

    /** The lake-relative paths (files and sidecars) that catalog entries name. */
    public Set<String> namedPaths() {
        Set<String> named = new java.util.HashSet<>();
        for (ArtifactRecord record : byId.values()) {
            named.add(record.path());
            named.add(record.sidecarPath());
        }
        return named;
    }

    @Override
    public CompletableFuture<Registration> register(StagedArtifact staged) {
        return registerAll(List.of(staged)).thenApply(list -> list.get(0));
    }

    @Override
    public CompletableFuture<List<Registration>> registerAll(List<StagedArtifact> staged) {
        List<Placed> placed = new ArrayList<>(staged.size());
        try {
            for (StagedArtifact artifact : staged) {
                checkInputsExist(artifact.inputIds());
                placed.add(place(artifact));
            }
        } catch (RuntimeException e) {
            for (StagedArtifact artifact : staged) {
                deleteQuietly(artifact.stagedFile());
            }
            throw e;
        }
        return writer.submit(new RegisterTask(placed)).whenComplete((result, failure) -> {
            List<Placed> unused = new ArrayList<>();
            if (failure != null) {
                unused.addAll(placed);
            } else {
                for (int i = 0; i < placed.size(); i++) {
                    if (result.get(i).deduped() && !result.get(i).artifact().path().equals(placed.get(i).record.path())) {
                        unused.add(placed.get(i));
                    }
                }
            }
            for (Placed leftover : unused) {
                if (byId.values().stream().noneMatch(record -> record.path().equals(leftover.record.path()))) {
                    deleteQuietly(leftover.file);
                    deleteQuietly(leftover.sidecar);
                }
            }
        });
    }

    @Override
    public CompletableFuture<ArtifactRecord> supersede(String id, Optional<String> replacementId, String reason) {
        return writer.submit(new SupersedeTask(id, replacementId, reason));
    }

    /** Moves the staged file into the lake and writes its sidecar; registration follows through the writer. */
    private Placed place(StagedArtifact staged) {
        Optional<ArtifactRecord> existing = findDuplicate(staged, Map.of());
        String id = ArtifactIds.newArtifactId(clock.millis());
        if (existing.isPresent()) {
            deleteQuietly(staged.stagedFile());
            return new Placed(staged, recordFor(staged, id, existing.get().path(), existing.get().sidecarPath()), null, null);
        }
        Path target = files.placeFor(staged.type(), staged.schemaVersion(), staged.logicalKey(), staged.contentHash(), staged.fileHash(),
                staged.extension(), id);
        Path sidecar = LakeFiles.sidecarOf(target);
        ArtifactRecord record = recordFor(staged, id, files.relative(target), files.relative(sidecar));
        files.moveIntoLake(staged.stagedFile(), target);
        files.writeSidecar(sidecar, record);
        return new Placed(staged, record, target, sidecar);
    }

    private ArtifactRecord recordFor(StagedArtifact staged, String id, String path, String sidecarPath) {
        return new ArtifactRecord(id, staged.type(), staged.schemaVersion(), staged.logicalKey(), ArtifactStatus.ACTIVE, path, sidecarPath,
                staged.fileHash(), staged.contentHash(), staged.rowCount(), staged.sizeBytes(), staged.minTsMs(), staged.maxTsMs(),
                clock.millis(), staged.tags(), staged.inputIds(), Optional.empty(), staged.provenance(), staged.columns());
    }

    private void checkInputsExist(List<String> inputIds) {
        for (String input : inputIds) {
            if (!byId.containsKey(input)) {
                throw StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "input artifact " + input + " does not exist")
                        .metadata("artifact_id", input)
                        .build();
            }
        }
    }

    /**
     * An active artifact with the same type and logical key whose file hash (checked first: the same
     * bytes) or content hash (the same rows in another file) matches. Identical bytes under another
     * logical key are a different artifact: an empty run and another empty run are not the same run.
     */
    private Optional<ArtifactRecord> findDuplicate(StagedArtifact staged, Map<String, ArtifactRecord> pending) {
        List<ArtifactRecord> candidates = new ArrayList<>();
        for (ArtifactRecord record : pending.values()) {
            if (record.type().equals(staged.type()) && record.logicalKey().equals(staged.logicalKey())) {
                candidates.add(record);
            }
        }
        for (String id : byLogicalKey.getOrDefault(logicalKeyOf(staged.type(), staged.logicalKey()), List.of())) {
            ArtifactRecord record = byId.get(id);
            if (record != null) {
                candidates.add(record);
            }
        }
        return CatalogRules.duplicateOf(staged, candidates);
    }

    private void index(ArtifactRecord record) {
        ArtifactRecord previous = byId.put(record.id(), record);
        if (previous == null) {
            byLogicalKey.computeIfAbsent(logicalKeyOf(record.type(), record.logicalKey()), ignored -> new CopyOnWriteArrayList<>()).add(record.id());
            for (Map.Entry<String, String> tag : record.tags().entrySet()) {
                byTag.computeIfAbsent(tagKey(record.type(), tag.getKey(), tag.getValue()), ignored -> ConcurrentHashMap.newKeySet()).add(record.id());
            }
            for (String input : record.inputIds()) {
                outputs.computeIfAbsent(input, ignored -> new CopyOnWriteArrayList<>()).add(record.id());
            }
        }
    }

    private static String logicalKeyOf(String type, String logicalKey) {
        return type + '\u0000' + logicalKey;
    }

    private static String tagKey(String type, String key, String value) {
        return type + '\u0000' + key + '\u0000' + value;
    }

    private static List<ColumnSpec> parseColumns(String json) {
        try {
            return LakeFiles.JSON.readValue(json, COLUMNS).stream().map(c -> new ColumnSpec(c.get("name"), c.get("type"))).toList();
        } catch (IOException e) {
            throw new IllegalStateException("bad columns_json in the catalog: " + json, e);
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

    private record Placed(StagedArtifact staged, ArtifactRecord record, Path file, Path sidecar) {}

    /** Registers placed artifacts atomically, deduplicating against the index and earlier tasks of the batch. */
    private final class RegisterTask implements WriteTask<List<Registration>> {
        private final List<Placed> placed;
        private final List<ArtifactRecord> superseded = new ArrayList<>();

        private RegisterTask(List<Placed> placed) {
            this.placed = placed;
        }

        @Override
        public List<Registration> apply(WriteContext context) throws SQLException {
            Map<String, ArtifactRecord> pending = context.batchLocal(DuckDbLakeCatalog.this, LinkedHashMap::new);
            List<Registration> results = new ArrayList<>(placed.size());
            List<ArtifactRecord> toInsert = new ArrayList<>();
            Map<String, ArtifactRecord> local = new LinkedHashMap<>(pending);
            for (Placed item : placed) {
                for (String input : item.record.inputIds()) {
                    if (!byId.containsKey(input) && !local.containsKey(input)) {
                        throw StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "input artifact " + input + " does not exist")
                                .metadata("artifact_id", input).build();
                    }
                }
                Optional<ArtifactRecord> duplicate = findDuplicate(item.staged, local);
                if (duplicate.isPresent()) {
                    results.add(new Registration(duplicate.get(), true));
                    continue;
                }
                local.put(item.record.id(), item.record);
                toInsert.add(item.record);
                results.add(new Registration(item.record, false));
            }
            Connection connection = context.connection();
            for (ArtifactRecord record : toInsert) {
                insert(connection, record);
                Placed item = placed.stream().filter(p -> p.record == record).findFirst().orElseThrow();
                if (item.staged.supersedeExisting()) {
                    for (ArtifactRecord old : activeWithLogicalKey(record, local)) {
                        updateStatus(connection, old.id(), ArtifactStatus.SUPERSEDED, Optional.of(record.id()), "replaced by a newer publish");
                        superseded.add(old.withStatus(ArtifactStatus.SUPERSEDED, Optional.of(record.id())));
                    }
                }
            }
            pending.putAll(local);
            return results;
        }

        private List<ArtifactRecord> activeWithLogicalKey(ArtifactRecord fresh, Map<String, ArtifactRecord> local) {
            List<ArtifactRecord> old = new ArrayList<>();
            for (String id : byLogicalKey.getOrDefault(logicalKeyOf(fresh.type(), fresh.logicalKey()), List.of())) {
                ArtifactRecord record = byId.get(id);
                if (record != null && record.isActive()) {
                    old.add(record);
                }
            }
            return old;
        }

        @Override
        public void afterCommit(List<Registration> results) {
            commits.increment();
            for (Registration registration : results) {
                if (!registration.deduped()) {
                    index(registration.artifact());
                } else {
                    deduplicated.increment();
                }
            }
            for (ArtifactRecord record : superseded) {
                byId.put(record.id(), record);
            }
        }

        @Override
        public String name() {
            return "catalog.register";
        }
    }

    private final class SupersedeTask implements WriteTask<ArtifactRecord> {
        private final String id;
        private final Optional<String> replacementId;
        private final String reason;

        private SupersedeTask(String id, Optional<String> replacementId, String reason) {
            this.id = id;
            this.replacementId = replacementId;
            this.reason = reason;
        }

        @Override
        public ArtifactRecord apply(WriteContext context) throws SQLException {
            ArtifactRecord record = byId.get(id);
            if (record == null) {
                throw notFound(id);
            }
            CatalogRules.requireActive(record);
            Optional<ArtifactRecord> replacement = Optional.empty();
            if (replacementId.isPresent()) {
                replacement = Optional.ofNullable(byId.get(replacementId.get()));
                if (replacement.isEmpty()) {
                    throw notFound(replacementId.get());
                }
            }
            ArtifactStatus status = CatalogRules.checkSupersede(record, replacement);
            updateStatus(context.connection(), id, status, replacementId, reason);
            return record.withStatus(status, replacementId);
        }

        @Override
        public void afterCommit(ArtifactRecord result) {
            commits.increment();
            byId.put(result.id(), result);
        }

        @Override
        public String name() {
            return "catalog.supersede";
        }
    }

    private void updateStatus(Connection connection, String id, ArtifactStatus status, Optional<String> replacement, String reason)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(UPDATE_STATUS)) {
            update.setString(1, status.dbValue());
            update.setString(2, replacement.orElse(null));
            update.setString(3, reason);
            update.setString(4, id);
            update.executeUpdate();
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_SUPERSEDE)) {
            insert.setString(1, id);
            insert.setString(2, replacement.orElse(null));
            insert.setString(3, reason);
            insert.setLong(4, clock.millis());
            insert.executeUpdate();
        }
    }

    private static void insert(Connection connection, ArtifactRecord record) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(INSERT_ARTIFACT)) {
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
            insert.setString(i++, record.provenance().writer());
            insert.setString(i++, record.provenance().writerVersion());
            insert.setString(i++, record.provenance().paramsJson());
            try {
                insert.setString(i, LakeFiles.JSON.writeValueAsString(LakeFiles.columns(record.columns())));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            insert.executeUpdate();
        }
        if (!record.tags().isEmpty()) {
            try (PreparedStatement insert = connection.prepareStatement(INSERT_TAG)) {
                for (Map.Entry<String, String> tag : record.tags().entrySet()) {
                    insert.setString(1, record.id());
                    insert.setString(2, tag.getKey());
                    insert.setString(3, tag.getValue());
                    // Not addBatch: DuckDB's executeBatch opens its own transaction, and the writer already has one.
                    insert.executeUpdate();
                }
            }
        }
        if (!record.inputIds().isEmpty()) {
            try (PreparedStatement insert = connection.prepareStatement(INSERT_LINEAGE)) {
                for (String input : record.inputIds()) {
                    insert.setString(1, input);
                    insert.setString(2, record.id());
                    insert.executeUpdate();
                }
            }
        }
    }

    static StorageException notFound(String id) {
        return StorageException.builder(ErrorCode.ARTIFACT_NOT_FOUND, "no artifact " + id).metadata("artifact_id", id).build();
    }
}
