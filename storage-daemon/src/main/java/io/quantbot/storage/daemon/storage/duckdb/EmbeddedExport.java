package io.quantbot.storage.daemon.storage.duckdb;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactQuery;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.config.StateConfig;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.lifecycle.StartupException;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.RunStatus;
import io.quantbot.storage.daemon.state.StateEntry;
import io.quantbot.storage.daemon.storage.ClusterMigration.MigrationException;
import io.quantbot.storage.daemon.storage.MigrationScripts;
import io.quantbot.storage.daemon.storage.MigrationSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The contents of a stopped embedded daemon's data dir, for {@code migrate}: its database is opened read-only and read
 * once through the repositories' own loaders ({@link DuckDbStateRepository#load}, {@link DuckDbLakeCatalog#load}, then
 * their scan and list reads), so the records are exactly what the daemon would serve. Nothing is written: no writer
 * thread starts and the repositories are dropped afterwards. A database of another schema version is refused with
 * what to do.
 */
public final class EmbeddedExport {
    private EmbeddedExport() {}

    public static MigrationSource read(DatabaseConfig config, Clock clock) throws MigrationException {
        Path database = config.databaseFile().orElseThrow(() -> new MigrationException(StartupException.BAD_SETTING,
                "duckdb.path is :memory:; an in-memory daemon leaves nothing to migrate", null));
        if (!Files.isRegularFile(database)) {
            throw new MigrationException(StartupException.BAD_SETTING, "there is no embedded database at " + database
                    + ": is --from-data-dir the embedded daemon's data dir (or duckdb.path its database)?", null);
        }
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("duckdb.read_only", "true");
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database, properties)) {
            int version = schemaVersion(connection, database);
            MeterRegistry registry = new SimpleMeterRegistry();
            ResolvedConfig defaults = ResolvedConfig.defaults(DaemonConfiguration.properties());
            GroupCommitWriter unstarted = new GroupCommitWriter(new DuckDbDatabase(config), config, new Readiness(), registry);

            DuckDbStateRepository state = new DuckDbStateRepository(unstarted, StateConfig.from(defaults), clock, registry);
            state.load(connection);
            long now = clock.millis();
            List<StateEntry> live = new ArrayList<>();
            for (String namespace : namespaces(connection)) {
                live.addAll(state.scan(namespace, "", "", Integer.MAX_VALUE, now));
            }
            long expired = state.size() - live.size();

            DuckDbLakeCatalog catalog = new DuckDbLakeCatalog(unstarted, config, clock, registry);
            catalog.load(connection);
            List<ArtifactRecord> records = catalog.list(new ArtifactQuery(Optional.empty(), EnumSet.allOf(ArtifactStatus.class), Map.of(), 0, 0),
                    "", Integer.MAX_VALUE);
            Map<String, String> reasons = new HashMap<>();
            List<MigrationSource.Supersede> supersedes = new ArrayList<>();
            List<MigrationSource.UnsealedRun> unsealed = new ArrayList<>();
            List<RunRecord> complete = new ArrayList<>();
            try (Statement statement = connection.createStatement()) {
                try (ResultSet rows = statement.executeQuery("SELECT artifact_id, status_reason FROM artifacts WHERE status_reason IS NOT NULL")) {
                    while (rows.next()) {
                        reasons.put(rows.getString(1), rows.getString(2));
                    }
                }
                try (ResultSet rows = statement.executeQuery("SELECT old_id, new_id, reason, at_ms FROM artifact_supersedes ORDER BY at_ms, old_id")) {
                    while (rows.next()) {
                        supersedes.add(new MigrationSource.Supersede(rows.getString(1), Optional.ofNullable(rows.getString(2)), rows.getString(3),
                                rows.getLong(4)));
                    }
                }
            }
            DuckDbRunLedger.Stored runs = DuckDbRunLedger.read(connection);
            for (RunRecord run : runs.runs()) {
                long hot = runs.hotRows().getOrDefault(run.runId(), 0L);
                if (run.status() != RunStatus.RUNNING && (run.resultArtifactId().isPresent() || (hot == 0 && run.rowCount() == 0))) {
                    complete.add(run);
                } else {
                    unsealed.add(new MigrationSource.UnsealedRun(run.runId(), run.sweepId(), run.status().dbValue(), run.sealMode().dbValue(),
                            run.status() == RunStatus.RUNNING ? run.rowCount() : Math.max(hot, run.rowCount())));
                }
            }
            List<MigrationSource.Artifact> artifacts = new ArrayList<>(records.size());
            // Oldest first (ids are time-ordered), so inputs usually come before their outputs.
            for (int i = records.size() - 1; i >= 0; i--) {
                ArtifactRecord record = records.get(i);
                artifacts.add(new MigrationSource.Artifact(record, Optional.ofNullable(reasons.get(record.id()))));
            }
            return new MigrationSource(config.dataDir().toAbsolutePath().normalize(), version, live, expired, artifacts, supersedes, complete, unsealed);
        } catch (SQLException e) {
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            boolean locked = message.toLowerCase(java.util.Locale.ROOT).contains("lock");
            throw new MigrationException(locked ? StartupException.HELD_BY_ANOTHER_PROCESS : StartupException.BAD_SETTING,
                    "cannot read " + database + " read-only: " + message + (locked ? " (a process still holds the database: stop the embedded daemon)" : ""), e);
        }
    }

    private static int schemaVersion(Connection connection, Path database) throws SQLException, MigrationException {
        Map<Integer, String> applied = new HashMap<>();
        try (Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'")) {
                rows.next();
                if (rows.getLong(1) == 0) {
                    throw new MigrationException(StartupException.BAD_SETTING, database + " has no schema version (no schema_migrations table):"
                            + " it is not a quantbot storage database", null);
                }
            }
            try (ResultSet rows = statement.executeQuery("SELECT version, checksum FROM schema_migrations ORDER BY version")) {
                while (rows.next()) {
                    applied.put(rows.getInt(1), rows.getString(2));
                }
            }
        }
        int newest = MigrationScripts.newest(SchemaMigrator.MIGRATIONS);
        List<MigrationScripts.Pending> pending;
        try {
            pending = MigrationScripts.pending("the embedded database " + database, "/db/migration", SchemaMigrator.MIGRATIONS, applied);
        } catch (IllegalStateException e) {
            throw new MigrationException(StartupException.BAD_SETTING, "unsupported source schema: " + e.getMessage()
                    + " (migrate with the daemon version that wrote it)", e);
        }
        if (!pending.isEmpty()) {
            int at = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
            throw new MigrationException(StartupException.BAD_SETTING, "unsupported source schema: " + database + " is at schema version " + at
                    + ", migrate reads version " + newest + ": start this version's embedded daemon on the data dir once (it upgrades the"
                    + " schema at start), stop it, and run migrate again", null);
        }
        return newest;
    }

    private static List<String> namespaces(Connection connection) throws SQLException {
        List<String> namespaces = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT DISTINCT namespace FROM state_log ORDER BY namespace")) {
            while (rows.next()) {
                namespaces.add(rows.getString(1));
            }
        }
        return namespaces;
    }
}
