package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.lifecycle.StartupException;
import io.quantbot.storage.daemon.state.StateEntry;
import io.quantbot.storage.daemon.state.StateKey;
import io.quantbot.storage.daemon.storage.ClusterMigration;
import io.quantbot.storage.daemon.storage.ClusterMigration.MigrationException;
import io.quantbot.storage.daemon.storage.LakeFiles;
import io.quantbot.storage.daemon.storage.MigrationSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster side of {@code migrate}: plans, then writes an embedded data dir's state keys and artifacts into the
 * cluster's PostgreSQL (the tables of db/postgres) and its files into the warehouse, laid out as {@link
 * PostgresLakeCatalog} lays them out ({@link LakeFiles#placeUnique}: the artifact id in the name), each file's SHA-256
 * checked after the copy.
 *
 * <p><b>Idempotent and resumable.</b> The plan reads what the cluster already holds: a state key or artifact that is
 * there exactly as in the data dir is skipped; one that is there differently is a conflict, reported before anything is
 * written. Rows are inserted with {@code ON CONFLICT} on their primary keys, state in batches of {@value #STATE_BATCH}
 * keys per transaction, each artifact (its row, tags, lineage and supersede history) in one transaction after its file
 * is in place, so a run cut short at any point leaves whole rows behind and the next run copies only what is missing
 * (a file copied but not registered is checked and reused). State versions are copied as they are, and the cluster's
 * version sequence is moved past the highest one first, so compare-and-set clients keep working and new writes get
 * higher versions.
 */
public final class PostgresImport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresImport.class);
    static final int STATE_BATCH = 500;
    private static final int LISTED = 20;
    private static final int USAGE_SHARDS = 16;

    // The state and catalog statements are the repositories' own; the copy adds only what makes a re-run a no-op.
    private static final String EXISTING_STATE = PostgresStateRepository.READ_MANY;
    private static final String INSERT_STATE = PostgresStateRepository.INSERT + " ON CONFLICT (namespace, key) DO NOTHING";
    private static final String LOCK_STATE = "SELECT value_size FROM state_entries WHERE namespace = ? AND key = ? FOR UPDATE";
    private static final String OVERWRITE_STATE = PostgresStateRepository.UPDATE;
    private static final String USAGE = PostgresStateRepository.USAGE;
    /** Moves the version sequence past {@code ?} unless it already is (nextval then returns a larger version). */
    private static final String BUMP_VERSIONS = "SELECT setval('state_versions', ?, true) FROM state_versions"
            + " WHERE (CASE WHEN is_called THEN last_value ELSE last_value - 1 END) < ?";
    private static final String EXISTING_ARTIFACTS = "SELECT artifact_id, status, superseded_by, file_hash, path, sidecar_path, type, logical_key"
            + " FROM artifacts WHERE artifact_id = ANY (?)";
    private static final String ACTIVE_BY_LOGICAL_KEY = "SELECT artifact_id, type, logical_key FROM artifacts WHERE status = 'active'"
            + " AND (type, logical_key) IN (SELECT * FROM unnest(?::text[], ?::text[]))";
    private static final String INSERT_ARTIFACT = "INSERT INTO artifacts (" + PostgresLakeCatalog.INSERT_COLUMNS + ") "
            + PostgresLakeCatalog.INSERT_VALUES + " ON CONFLICT (artifact_id) DO NOTHING";
    private static final String INSERT_TAG = PostgresLakeCatalog.INSERT_TAG + " ON CONFLICT (artifact_id, tag_key) DO NOTHING";
    private static final String INSERT_LINEAGE = "INSERT INTO artifact_lineage (output_id, position, input_id)"
            + " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM artifacts WHERE artifact_id = ?) ON CONFLICT (output_id, position) DO NOTHING";
    private static final String INSERT_SUPERSEDE = PostgresLakeCatalog.INSERT_SUPERSEDE;
    private static final String EXISTING_RUNS = "SELECT run_id, status, result_artifact_id, lease_state FROM runs WHERE run_id = ANY (?)";
    private static final String LIVE_KEY_HOLDERS = "SELECT idempotency_key, run_id FROM runs WHERE idempotency_key = ANY (?) AND lease_state <> 'lost'";

    private final ClusterConfig cluster;
    private final Path warehouse;
    private final LakeFiles files;
    private final Connection connection;
    private final boolean stateTables;
    private final boolean catalogTables;
    private final boolean runsTable;

    private PostgresImport(ClusterConfig cluster, Path warehouse, Connection connection, boolean stateTables, boolean catalogTables, boolean runsTable) {
        this.cluster = cluster;
        this.warehouse = warehouse;
        this.files = new LakeFiles(warehouse);
        this.connection = connection;
        this.stateTables = stateTables;
        this.catalogTables = catalogTables;
        this.runsTable = runsTable;
    }

    /**
     * Connects to the cluster's PostgreSQL. Unless {@code dryRun}, applies its schema migrations (as a daemon does at
     * start) and records or checks the warehouse (a cluster that belongs to another warehouse is refused). A dry run
     * changes nothing: a database without the schema yet reads as empty.
     */
    public static PostgresImport connect(ClusterConfig cluster, boolean dryRun) throws MigrationException {
        requireNonNull(cluster, "cluster is null");
        Path warehouse = Path.of(cluster.warehouse()).toAbsolutePath().normalize();
        if (!Files.isDirectory(warehouse)) {
            throw new MigrationException(StartupException.BAD_SETTING, "cluster.warehouse is " + cluster.warehouse() + ", but " + warehouse
                    + " does not exist (or is not a folder): create it, or mount the cluster's shared warehouse there, then run migrate again", null);
        }
        if (!Files.isWritable(warehouse) && !dryRun) {
            throw new MigrationException(StartupException.BAD_SETTING, "the warehouse " + warehouse + " is not writable (permission denied)", null);
        }
        Connection connection;
        try {
            Properties properties = new Properties();
            properties.setProperty("user", cluster.postgresUser());
            properties.setProperty("password", cluster.postgresPassword().reveal());
            properties.setProperty("ApplicationName", "quantbot-storage migrate");
            properties.setProperty("connectTimeout", Long.toString(Math.max(1, cluster.connectionWait().toSeconds())));
            connection = DriverManager.getConnection(cluster.postgresUrl(), properties);
        } catch (SQLException e) {
            String state = String.valueOf(e.getSQLState());
            String hint = state.equals("28P01") || state.equals("28000") ? " (check cluster.postgres-user and the password)"
                    : state.equals("3D000") ? " (create the database, or fix cluster.postgres-url)"
                    : " (is PostgreSQL running and reachable from here? check cluster.postgres-url)";
            throw new MigrationException(state.startsWith("28") || state.equals("3D000") ? StartupException.BAD_SETTING : ClusterMigration.FAILED,
                    "cannot connect to PostgreSQL at " + cluster.postgresUrl() + " as " + cluster.postgresUser() + ": "
                            + PostgresDatabase.firstLine(e) + hint, e);
        }
        try {
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET synchronous_commit TO on");
            }
            if (!dryRun) {
                try {
                    PostgresMigrator.migrate(connection);
                } catch (IllegalStateException e) {
                    throw new MigrationException(StartupException.BAD_SETTING, "the cluster's PostgreSQL cannot be used: " + e.getMessage(), e);
                }
                checkWarehouse(connection, cluster, true);
                return new PostgresImport(cluster, warehouse, connection, true, true, true);
            }
            boolean state = exists(connection, "state_entries");
            boolean catalog = exists(connection, "artifacts") && columnExists(connection, "artifacts", "node_id");
            if (exists(connection, "cluster_settings")) {
                checkWarehouse(connection, cluster, false);
            }
            return new PostgresImport(cluster, warehouse, connection, state, catalog, exists(connection, "runs"));
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new MigrationException(ClusterMigration.FAILED, "PostgreSQL failed while preparing the migration (SQLState " + e.getSQLState()
                    + "): " + PostgresDatabase.firstLine(e), e);
        } catch (MigrationException | RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    private static void checkWarehouse(Connection connection, ClusterConfig cluster, boolean record) throws SQLException, MigrationException {
        String warehouse = cluster.warehouse().toString();
        if (record) {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO cluster_settings (name, value) VALUES ('warehouse', ?) ON CONFLICT (name) DO NOTHING")) {
                insert.setString(1, warehouse);
                insert.executeUpdate();
            }
        }
        try (Statement select = connection.createStatement();
                ResultSet rows = select.executeQuery("SELECT value FROM cluster_settings WHERE name = 'warehouse'")) {
            if (rows.next() && !rows.getString(1).equals(warehouse)) {
                throw new MigrationException(StartupException.BAD_SETTING, "cluster.warehouse is " + warehouse
                        + ", but the cluster's PostgreSQL belongs to the warehouse " + rows.getString(1)
                        + ": name the warehouse the cluster's daemons use", null);
            }
        }
    }

    private static boolean exists(Connection connection, String table) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            select.setString(1, table);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    private static boolean columnExists(Connection connection, String table, String column) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?")) {
            select.setString(1, table);
            select.setString(2, column);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getLong(1) > 0;
            }
        }
    }

    // ---------------------------------------------------------------- plan

    /** What the cluster lacks, holds already, or holds differently (a conflict), key by key and artifact by artifact. */
    public static final class Plan {
        final List<StateEntry> stateMissing = new ArrayList<>();
        final List<StateEntry> stateDifferent = new ArrayList<>();
        final List<String> stateConflicts = new ArrayList<>();
        long stateSame;
        final List<MigrationSource.Artifact> artifactsMissing = new ArrayList<>();
        /** Artifacts registered already whose warehouse file is missing: the registered path of each. */
        final Map<MigrationSource.Artifact, String> filesToRepair = new LinkedHashMap<>();
        final List<String> artifactConflicts = new ArrayList<>();
        long artifactsSame;
        long bytesMissing;
        long supersedeRows;
        final List<RunRecord> runsMissing = new ArrayList<>();
        final List<String> runConflicts = new ArrayList<>();
        long runsSame;

        /** The plan's lines (what would be copied), for the operator. */
        public List<String> describe(boolean overwriteState) {
            List<String> lines = new ArrayList<>();
            lines.add("plan: state keys to copy " + stateMissing.size() + ", already in the cluster " + stateSame + ", differing "
                    + stateDifferent.size() + (stateDifferent.isEmpty() ? "" : overwriteState ? " (overwritten: --overwrite-state)" : " (conflicts)"));
            lines.add("plan: artifacts to copy " + artifactsMissing.size() + " (" + bytesMissing + " bytes of files), already in the cluster "
                    + artifactsSame + (filesToRepair.isEmpty() ? "" : " (" + filesToRepair.size() + " of them miss their warehouse file: copied again)")
                    + (artifactConflicts.isEmpty() ? "" : ", conflicts " + artifactConflicts.size()));
            lines.add("plan: finished runs to record as sealed " + runsMissing.size() + ", already in the cluster " + runsSame
                    + (runConflicts.isEmpty() ? "" : ", conflicts " + runConflicts.size()));
            return lines;
        }

        /** Why the migration must not write (empty = it may). */
        public List<String> refusals(boolean overwriteState) {
            List<String> refusals = new ArrayList<>();
            if (!stateConflicts.isEmpty() && !overwriteState) {
                refusals.add(stateConflicts.size() + " state keys are in the cluster with another value or version (pass --overwrite-state to"
                        + " replace them with the data dir's value and version):");
                listed(refusals, stateConflicts);
            }
            if (!artifactConflicts.isEmpty()) {
                refusals.add(artifactConflicts.size() + " artifacts conflict with the cluster's catalog:");
                listed(refusals, artifactConflicts);
            }
            if (!runConflicts.isEmpty()) {
                refusals.add(runConflicts.size() + " runs conflict with the cluster's runs:");
                listed(refusals, runConflicts);
            }
            return refusals;
        }

        private static void listed(List<String> into, List<String> items) {
            items.stream().limit(LISTED).forEach(item -> into.add("    " + item));
            if (items.size() > LISTED) {
                into.add("    ... and " + (items.size() - LISTED) + " more");
            }
        }

        public ClusterMigration.Summary summary(boolean dryRun, boolean overwriteState, MigrationSource source, long unsealedSkipped, Applied applied) {
            long overwrite = overwriteState ? stateDifferent.size() : 0;
            if (dryRun) {
                return new ClusterMigration.Summary(true, source.state().size(), stateMissing.size(), stateSame, overwrite, source.expiredKeys(),
                        source.artifacts().size(), artifactsMissing.size(), artifactsSame, artifactsMissing.size() + filesToRepair.size(), bytesMissing
                        + filesToRepair.keySet().stream().mapToLong(a -> a.record().sizeBytes()).sum(), filesToRepair.size(), supersedeRows,
                        source.completeRuns().size(), runsMissing.size(), unsealedSkipped);
            }
            return new ClusterMigration.Summary(false, source.state().size(), applied.stateInserted(),
                    source.state().size() - applied.stateInserted() - applied.stateOverwritten(), applied.stateOverwritten(), source.expiredKeys(),
                    source.artifacts().size(), applied.artifactsInserted(), source.artifacts().size() - applied.artifactsInserted(),
                    applied.filesCopied(), applied.bytesCopied(), applied.filesRepaired(), applied.supersedeRows(), source.completeRuns().size(),
                    applied.runsRecorded(), unsealedSkipped);
        }
    }

    /** What {@link #apply} wrote. */
    public record Applied(long stateInserted, long stateOverwritten, long artifactsInserted, long filesCopied, long bytesCopied, long filesRepaired,
            long supersedeRows, long artifactsRaced, long runsRecorded) {}

    /** Reads what the cluster holds of the source; writes nothing. */
    public Plan plan(MigrationSource source) throws MigrationException {
        Plan plan = new Plan();
        try {
            planState(source, plan);
            planArtifacts(source, plan);
            planRuns(source, plan);
        } catch (SQLException e) {
            throw sqlFailure("planning", e);
        }
        return plan;
    }

    private void planState(MigrationSource source, Plan plan) throws SQLException {
        List<StateEntry> entries = source.state();
        for (int from = 0; from < entries.size(); from += STATE_BATCH) {
            List<StateEntry> batch = entries.subList(from, Math.min(entries.size(), from + STATE_BATCH));
            Map<StateKey, StateEntry> existing = stateTables ? existingState(batch) : Map.of();
            for (StateEntry entry : batch) {
                StateEntry there = existing.get(entry.key());
                if (there == null) {
                    plan.stateMissing.add(entry);
                } else if (there.equals(entry)) {
                    plan.stateSame++;
                } else {
                    plan.stateDifferent.add(entry);
                    plan.stateConflicts.add(entry.key().namespace() + "/" + entry.key().key() + ": the cluster has version " + there.version()
                            + (there.value().equals(entry.value()) ? "" : " with another value") + ", the data dir version " + entry.version()
                            + (there.value().equals(entry.value()) && there.version() == entry.version() ? " (its times or expiry differ)" : ""));
                }
            }
        }
    }

    private Map<StateKey, StateEntry> existingState(List<StateEntry> batch) throws SQLException {
        Map<StateKey, StateEntry> existing = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(EXISTING_STATE)) {
            select.setArray(1, connection.createArrayOf("text", batch.stream().map(e -> e.key().namespace()).toArray(String[]::new)));
            select.setArray(2, connection.createArrayOf("text", batch.stream().map(e -> e.key().key()).toArray(String[]::new)));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    StateEntry entry = PostgresStateRepository.entry(rows);
                    existing.put(entry.key(), entry);
                }
            }
        }
        return existing;
    }

    private void planArtifacts(MigrationSource source, Plan plan) throws SQLException {
        Map<String, String[]> existing = new HashMap<>();
        Set<String> sourceIds = new HashSet<>();
        source.artifacts().forEach(artifact -> sourceIds.add(artifact.record().id()));
        if (catalogTables && !sourceIds.isEmpty()) {
            try (PreparedStatement select = connection.prepareStatement(EXISTING_ARTIFACTS)) {
                select.setArray(1, connection.createArrayOf("text", sourceIds.toArray(String[]::new)));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        existing.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3), rows.getString(4), rows.getString(5)});
                    }
                }
            }
        }
        List<MigrationSource.Artifact> activeMissing = new ArrayList<>();
        for (MigrationSource.Artifact artifact : source.artifacts()) {
            ArtifactRecord record = artifact.record();
            String[] there = existing.get(record.id());
            if (there == null) {
                plan.artifactsMissing.add(artifact);
                plan.bytesMissing += record.sizeBytes();
                if (record.isActive()) {
                    activeMissing.add(artifact);
                }
                continue;
            }
            String status = record.status().dbValue();
            if (!there[0].equals(status) || !Objects.equals(there[1], record.supersededBy().orElse(null)) || !there[2].equals(record.fileHash())) {
                plan.artifactConflicts.add(record.id() + " (" + record.type() + " " + record.logicalKey() + "): the cluster has it " + there[0]
                        + (there[1] == null ? "" : " by " + there[1]) + " with file hash " + abbreviate(there[2]) + ", the data dir "
                        + status + record.supersededBy().map(by -> " by " + by).orElse("") + " with file hash " + abbreviate(record.fileHash()));
                continue;
            }
            plan.artifactsSame++;
            if (!Files.isRegularFile(warehouse.resolve(there[3]))) {
                plan.filesToRepair.put(artifact, there[3]);
            }
        }
        for (MigrationSource.Artifact artifact : source.artifacts()) {
            if (existing.containsKey(artifact.record().id())) {
                continue;
            }
            plan.supersedeRows += source.supersedes().stream().filter(s -> s.oldId().equals(artifact.record().id())).count();
        }
        if (catalogTables && !activeMissing.isEmpty()) {
            try (PreparedStatement select = connection.prepareStatement(ACTIVE_BY_LOGICAL_KEY)) {
                select.setArray(1, connection.createArrayOf("text", activeMissing.stream().map(a -> a.record().type()).toArray(String[]::new)));
                select.setArray(2, connection.createArrayOf("text", activeMissing.stream().map(a -> a.record().logicalKey()).toArray(String[]::new)));
                Map<String, String> activeThere = new HashMap<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        if (!sourceIds.contains(rows.getString(1))) {
                            activeThere.put(rows.getString(2) + "\u0000" + rows.getString(3), rows.getString(1));
                        }
                    }
                }
                for (MigrationSource.Artifact artifact : activeMissing) {
                    String other = activeThere.get(artifact.record().type() + "\u0000" + artifact.record().logicalKey());
                    if (other != null) {
                        plan.artifactConflicts.add(artifact.record().id() + " (" + artifact.record().type() + " " + artifact.record().logicalKey()
                                + "): the cluster already has the active artifact " + other + " under this type and logical key; copying would"
                                + " leave two active (supersede one of them first)");
                    }
                }
            }
        }
    }

    /**
     * A complete run is missing (recorded by the copy), there already (same status and result artifact, sealed), or a
     * conflict: the cluster holds its id differently, or another live run holds its idempotency key (the scenario ran
     * in the cluster too, and copying would give one key two runs).
     */
    private void planRuns(MigrationSource source, Plan plan) throws SQLException {
        List<RunRecord> runs = source.completeRuns();
        for (int from = 0; from < runs.size(); from += STATE_BATCH) {
            List<RunRecord> batch = runs.subList(from, Math.min(runs.size(), from + STATE_BATCH));
            Map<String, String[]> byId = new HashMap<>();
            Map<String, String> keyHolders = new HashMap<>();
            if (runsTable) {
                try (PreparedStatement select = connection.prepareStatement(EXISTING_RUNS)) {
                    select.setArray(1, connection.createArrayOf("text", batch.stream().map(RunRecord::runId).toArray(String[]::new)));
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            byId.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3), rows.getString(4)});
                        }
                    }
                }
                String[] keys = batch.stream().flatMap(run -> run.idempotencyKey().stream()).toArray(String[]::new);
                if (keys.length > 0) {
                    try (PreparedStatement select = connection.prepareStatement(LIVE_KEY_HOLDERS)) {
                        select.setArray(1, connection.createArrayOf("text", keys));
                        try (ResultSet rows = select.executeQuery()) {
                            while (rows.next()) {
                                keyHolders.put(rows.getString(1), rows.getString(2));
                            }
                        }
                    }
                }
            }
            for (RunRecord run : batch) {
                String[] there = byId.get(run.runId());
                String artifact = run.resultArtifactId().orElse(null);
                String describe = run.runId() + " (sweep " + run.sweepId() + ", scenario " + run.scenarioId() + ")";
                if (there != null) {
                    if (there[0].equals(run.status().dbValue()) && Objects.equals(there[1], artifact) && there[2].equals("sealed")) {
                        plan.runsSame++;
                    } else {
                        plan.runConflicts.add(describe + ": the cluster has it " + there[0] + " (" + there[2] + ", result "
                                + (there[1] == null ? "none" : there[1]) + "), the data dir " + run.status().dbValue() + " (sealed, result "
                                + (artifact == null ? "none" : artifact) + ")");
                    }
                    continue;
                }
                String holder = run.idempotencyKey().map(keyHolders::get).orElse(null);
                if (holder != null) {
                    plan.runConflicts.add(describe + ": the cluster's run " + holder + " already holds its idempotency key "
                            + run.idempotencyKey().get() + " (the scenario ran in the cluster too); copying would give the key two runs"
                            + " (leave this data dir's run behind by migrating before the cluster runs the sweep)");
                    continue;
                }
                plan.runsMissing.add(run);
            }
        }
    }

    /** Records the plan's missing runs as sealed, in transactions of {@link #STATE_BATCH}; answers how many it recorded. */
    private long applyRuns(MigrationSource source, Plan plan) throws SQLException {
        String owner = "migrated from " + source.dataDir();
        long recorded = 0;
        List<RunRecord> runs = plan.runsMissing;
        for (int from = 0; from < runs.size(); from += STATE_BATCH) {
            connection.setAutoCommit(false);
            try {
                for (RunRecord run : runs.subList(from, Math.min(runs.size(), from + STATE_BATCH))) {
                    if (PostgresRunLeases.recordSealed(connection, run, owner)) {
                        recorded++;
                    }
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
        return recorded;
    }

    // ---------------------------------------------------------------- apply

    /** Writes what the plan found missing (and, with {@code overwriteState}, the differing keys). */
    public Applied apply(MigrationSource source, Plan plan, boolean overwriteState, Consumer<String> progress) throws MigrationException {
        long[] state;
        try {
            state = applyState(plan, overwriteState);
        } catch (SQLException e) {
            throw sqlFailure("copying state", e);
        }
        progress.accept("state: " + state[0] + " keys copied" + (state[1] > 0 ? ", " + state[1] + " overwritten" : ""));
        long inserted = 0;
        long copied = 0;
        long bytes = 0;
        long repaired = 0;
        long supersedes = 0;
        long raced = 0;
        Map<String, List<MigrationSource.Supersede>> supersedesByOld = new HashMap<>();
        source.supersedes().forEach(s -> supersedesByOld.computeIfAbsent(s.oldId(), ignored -> new ArrayList<>()).add(s));
        for (MigrationSource.Artifact artifact : inputsFirst(plan.artifactsMissing)) {
            ArtifactRecord record = artifact.record();
            String extension = extension(record.path());
            Path target = files.placeUnique(record.type(), record.schemaVersion(), record.logicalKey(), record.contentHash(), extension, record.id());
            Path sidecar = LakeFiles.sidecarOf(target);
            long written = copyVerified(source.dataDir().resolve(record.path()), target, record);
            if (written > 0) {
                copied++;
                bytes += written;
            }
            ArtifactRecord placed = new ArtifactRecord(record.id(), record.type(), record.schemaVersion(), record.logicalKey(), record.status(),
                    files.relative(target), files.relative(sidecar), record.fileHash(), record.contentHash(), record.rowCount(), record.sizeBytes(),
                    record.minTsMs(), record.maxTsMs(), record.createdAtMs(), record.tags(), record.inputIds(), record.supersededBy(),
                    record.provenance(), record.columns());
            copySidecar(source.dataDir().resolve(record.sidecarPath()), sidecar, placed);
            List<MigrationSource.Supersede> history = supersedesByOld.getOrDefault(record.id(), List.of());
            boolean done;
            try {
                done = insertArtifact(placed, artifact.statusReason(), history);
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    throw new MigrationException(ClusterMigration.FAILED, "artifact " + record.id() + " (" + record.type() + " " + record.logicalKey()
                            + ") conflicts with the cluster's catalog (" + PostgresDatabase.firstLine(e) + "): another artifact with the same"
                            + " content or logical key became active meanwhile; everything before it was copied, run migrate again to see the"
                            + " conflict", e);
                }
                throw sqlFailure("registering artifact " + record.id(), e);
            }
            if (done) {
                inserted++;
                supersedes += history.size();
            } else {
                raced++;
            }
        }
        for (Map.Entry<MigrationSource.Artifact, String> repair : plan.filesToRepair.entrySet()) {
            ArtifactRecord record = repair.getKey().record();
            long written = copyVerified(source.dataDir().resolve(record.path()), warehouse.resolve(repair.getValue()), record);
            if (written > 0) {
                copied++;
                repaired++;
                bytes += written;
            }
        }
        progress.accept("artifacts: " + inserted + " registered, " + copied + " files copied (" + bytes + " bytes)");
        long runs;
        try {
            runs = applyRuns(source, plan);
        } catch (SQLException e) {
            throw sqlFailure("recording runs", e);
        }
        progress.accept("runs: " + runs + " finished runs recorded as sealed");
        return new Applied(state[0], state[1], inserted, copied, bytes, repaired, supersedes, raced, runs);
    }

    private long[] applyState(Plan plan, boolean overwriteState) throws SQLException {
        long inserted = 0;
        long overwritten = 0;
        List<StateEntry> writes = new ArrayList<>(plan.stateMissing);
        if (overwriteState) {
            writes.addAll(plan.stateDifferent);
        }
        Set<StateEntry> overwrite = overwriteState ? new HashSet<>(plan.stateDifferent) : Set.of();
        int shard = 0;
        for (int from = 0; from < writes.size(); from += STATE_BATCH) {
            List<StateEntry> batch = writes.subList(from, Math.min(writes.size(), from + STATE_BATCH));
            connection.setAutoCommit(false);
            try {
                long maxVersion = batch.stream().mapToLong(StateEntry::version).max().orElse(0);
                try (PreparedStatement bump = connection.prepareStatement(BUMP_VERSIONS)) {
                    bump.setLong(1, maxVersion);
                    bump.setLong(2, maxVersion);
                    bump.executeQuery().close();
                }
                long bytesDelta = 0;
                long keysDelta = 0;
                long batchInserted = 0;
                long batchOverwritten = 0;
                try (PreparedStatement insert = connection.prepareStatement(INSERT_STATE);
                        PreparedStatement lock = connection.prepareStatement(LOCK_STATE);
                        PreparedStatement update = connection.prepareStatement(OVERWRITE_STATE)) {
                    for (StateEntry entry : batch) {
                        long size = entry.value().size();
                        if (overwrite.contains(entry)) {
                            lock.setString(1, entry.key().namespace());
                            lock.setString(2, entry.key().key());
                            Long oldSize = null;
                            try (ResultSet rows = lock.executeQuery()) {
                                if (rows.next()) {
                                    oldSize = rows.getLong(1);
                                }
                            }
                            if (oldSize != null) {
                                PostgresStateRepository.bindUpdate(update, entry, size);
                                update.executeUpdate();
                                bytesDelta += size - oldSize;
                                batchOverwritten++;
                                continue;
                            }
                        }
                        PostgresStateRepository.bindInsert(insert, entry, size);
                        if (insert.executeUpdate() == 1) {
                            bytesDelta += size;
                            keysDelta++;
                            batchInserted++;
                        }
                    }
                }
                try (PreparedStatement usage = connection.prepareStatement(USAGE)) {
                    usage.setLong(1, bytesDelta);
                    usage.setLong(2, keysDelta);
                    usage.setShort(3, (short) (shard++ % USAGE_SHARDS));
                    usage.executeUpdate();
                }
                connection.commit();
                inserted += batchInserted;
                overwritten += batchOverwritten;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
        return new long[] {inserted, overwritten};
    }

    /** One artifact's row, tags, lineage and supersede history in one transaction; false if the row was there already. */
    private boolean insertArtifact(ArtifactRecord record, Optional<String> statusReason, List<MigrationSource.Supersede> history) throws SQLException {
        connection.setAutoCommit(false);
        try {
            boolean inserted;
            try (PreparedStatement insert = connection.prepareStatement(INSERT_ARTIFACT)) {
                PostgresLakeCatalog.bindRecord(insert, record, statusReason, cluster.nodeId());
                inserted = insert.executeUpdate() == 1;
            }
            if (inserted) {
                PostgresLakeCatalog.insertTags(connection, INSERT_TAG, record);
                try (PreparedStatement insert = connection.prepareStatement(INSERT_LINEAGE)) {
                    int position = 0;
                    for (String input : record.inputIds()) {
                        insert.setString(1, record.id());
                        insert.setInt(2, position++);
                        insert.setString(3, input);
                        insert.setString(4, input);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                try (PreparedStatement insert = connection.prepareStatement(INSERT_SUPERSEDE)) {
                    for (MigrationSource.Supersede row : history) {
                        insert.setString(1, row.oldId());
                        insert.setString(2, row.newId().orElse(null));
                        insert.setString(3, row.reason());
                        insert.setLong(4, row.atMs());
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
            }
            connection.commit();
            return inserted;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    /** Inputs before the outputs that name them (lineage rows need their input registered), otherwise oldest first. */
    private static List<MigrationSource.Artifact> inputsFirst(List<MigrationSource.Artifact> artifacts) {
        Map<String, MigrationSource.Artifact> byId = new LinkedHashMap<>();
        artifacts.forEach(artifact -> byId.put(artifact.record().id(), artifact));
        List<MigrationSource.Artifact> ordered = new ArrayList<>(artifacts.size());
        Set<String> visited = new HashSet<>();
        for (MigrationSource.Artifact artifact : artifacts) {
            visit(artifact, byId, visited, ordered);
        }
        return ordered;
    }

    private static void visit(MigrationSource.Artifact artifact, Map<String, MigrationSource.Artifact> byId, Set<String> visited,
            List<MigrationSource.Artifact> ordered) {
        // Iterative depth-first walk (lineage chains can be long).
        java.util.Deque<Object[]> stack = new java.util.ArrayDeque<>();
        if (!visited.add(artifact.record().id())) {
            return;
        }
        stack.push(new Object[] {artifact, 0});
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            MigrationSource.Artifact current = (MigrationSource.Artifact) frame[0];
            int next = (Integer) frame[1];
            List<String> inputs = current.record().inputIds();
            if (next < inputs.size()) {
                frame[1] = next + 1;
                MigrationSource.Artifact input = byId.get(inputs.get(next));
                if (input != null && visited.add(input.record().id())) {
                    stack.push(new Object[] {input, 0});
                }
            } else {
                stack.pop();
                ordered.add(current);
            }
        }
    }

    // ---------------------------------------------------------------- files

    /**
     * Copies an artifact's file into the warehouse through a temporary name, fsyncs it, re-hashes the copy and moves it
     * into place; a target already holding the registered bytes (an earlier, interrupted run) is kept. Returns the bytes
     * copied (0 = kept). A source file that is missing or whose SHA-256 is not the registered one stops the migration
     * (exit 4) before its row is written.
     */
    private long copyVerified(Path source, Path target, ArtifactRecord record) throws MigrationException {
        try {
            if (Files.isRegularFile(target) && record.fileHash().equals(LakeFiles.sha256(target))) {
                return 0;
            }
            if (!Files.isRegularFile(source)) {
                throw new MigrationException(StartupException.DATA_LOSS, "DATA_LOSS: the file " + source + " of artifact " + record.id() + " ("
                        + record.type() + " " + record.logicalKey() + ") is missing from the data dir; nothing of this artifact was written to"
                        + " the cluster (restore the file from a backup, or supersede the artifact on the embedded daemon, then run migrate again)",
                        null);
            }
            Files.createDirectories(target.getParent());
            Path temporary = target.resolveSibling(target.getFileName() + ".migrating");
            Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
            LakeFiles.fsync(temporary);
            String copied = LakeFiles.sha256(temporary);
            if (!copied.equals(record.fileHash())) {
                Files.deleteIfExists(temporary);
                String original = LakeFiles.sha256(source);
                throw new MigrationException(StartupException.DATA_LOSS, "DATA_LOSS: the file " + source + " of artifact " + record.id()
                        + " has SHA-256 " + copied + (original.equals(copied) ? "" : " after the copy (" + original + " in the data dir)")
                        + ", but the catalog registered " + record.fileHash() + "; it was not copied and nothing of this artifact was written"
                        + " to the cluster (run 'lake verify' on the data dir; restore the file from a backup)", null);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LakeFiles.fsyncDirectory(target.getParent());
            return Files.size(target);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new MigrationException(ClusterMigration.FAILED, "cannot copy " + source + " to " + target + ": " + e.getMessage(), e);
        }
    }

    private void copySidecar(Path source, Path target, ArtifactRecord placed) throws MigrationException {
        try {
            if (Files.isRegularFile(source)) {
                Path temporary = target.resolveSibling(target.getFileName() + ".migrating");
                Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
                LakeFiles.fsync(temporary);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                LakeFiles.fsyncDirectory(target.getParent());
            } else {
                log.warn("The sidecar {} of artifact {} is missing; writing it from the record", source, placed.id());
                files.writeSidecar(target, placed);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new MigrationException(ClusterMigration.FAILED, "cannot copy the sidecar " + source + " to " + target + ": " + e.getMessage(), e);
        }
    }

    private static String extension(String path) {
        String name = Path.of(path).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot + 1) : "bin";
    }

    private static String abbreviate(String hash) {
        return hash.length() > 12 ? hash.substring(0, 12) + "…" : hash;
    }

    private MigrationException sqlFailure(String what, SQLException e) {
        boolean broken = PostgresDatabase.isConnectionFailure(e);
        return new MigrationException(ClusterMigration.FAILED, (broken ? "the connection to PostgreSQL broke while " : "PostgreSQL failed while ")
                + what + " (SQLState " + e.getSQLState() + "): " + PostgresDatabase.firstLine(e)
                + "; what was committed stays, run migrate again to copy the rest", e);
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            log.debug("ROLLBACK failed: {}", e.getMessage());
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            log.debug("Closing the connection failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        closeQuietly(connection);
    }
}
