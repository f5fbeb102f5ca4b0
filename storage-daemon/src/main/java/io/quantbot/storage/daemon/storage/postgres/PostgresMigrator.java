package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.MigrationScripts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned migrations of the cluster's PostgreSQL schema ({@code db/postgres/V*.sql}), applied in order at start,
 * each in its own transaction, recorded with a checksum, like the embedded engine's SchemaMigrator. Daemons that
 * start together take turns: the whole migration runs under a session advisory lock, so one applies and the others
 * find it applied. A database migrated by a newer daemon, or a migration whose text changed, stops the start.
 */
public final class PostgresMigrator {
    private static final Logger log = LoggerFactory.getLogger(PostgresMigrator.class);

    /** The advisory lock key the migration holds (any constant the cluster agrees on: "quantbot" in ASCII). */
    static final long LOCK_KEY = 0x7175616e74626f74L;

    /** Every migration, in order. Never edit one that shipped: add a new one. */
    public static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "cluster identity and state", "V001__cluster_and_state.sql"),
            new Migration(2, "artifact catalog", "V002__catalog.sql"));

    public record Migration(int version, String description, String resource) {
        public Migration {
            requireNonNull(description, "description is null");
            requireNonNull(resource, "resource is null");
        }
    }

    private static final String CREATE_HISTORY = """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                description text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )""";

    private PostgresMigrator() {}

    /** Applies the missing migrations; returns the schema version the database is at afterwards. */
    public static int migrate(Connection connection) throws SQLException {
        return migrate(connection, MIGRATIONS);
    }

    static int migrate(Connection connection, List<Migration> migrations) throws SQLException {
        connection.setAutoCommit(true);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
            try {
                return migrateLocked(connection, statement, migrations);
            } finally {
                statement.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
            }
        }
    }

    private static int migrateLocked(Connection connection, Statement statement, List<Migration> migrations) throws SQLException {
        statement.execute(CREATE_HISTORY);
        Map<Integer, String> applied = new HashMap<>();
        try (ResultSet rows = statement.executeQuery("SELECT version, checksum FROM schema_migrations ORDER BY version")) {
            while (rows.next()) {
                applied.put(rows.getInt(1), rows.getString(2));
            }
        }
        int newestKnown = migrations.get(migrations.size() - 1).version();
        int newestApplied = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (newestApplied > newestKnown) {
            throw new IllegalStateException("the cluster's PostgreSQL has schema version " + newestApplied + " but this daemon only knows versions up to "
                    + newestKnown + ": it was migrated by a newer daemon; run that version (downgrades are not supported)");
        }
        for (Migration migration : migrations) {
            String sql = MigrationScripts.read("/db/postgres", migration.resource());
            String checksum = MigrationScripts.checksum(sql);
            String known = applied.get(migration.version());
            if (known != null) {
                if (!known.equals(checksum)) {
                    throw new IllegalStateException("PostgreSQL schema migration " + migration.version() + " (" + migration.description()
                            + ") differs from the one applied to this database; migrations must never change once shipped");
                }
                continue;
            }
            apply(connection, migration, sql, checksum);
        }
        return newestKnown;
    }

    private static void apply(Connection connection, Migration migration, String sql, String checksum) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            for (String part : MigrationScripts.splitStatements(sql)) {
                statement.execute(part);
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO schema_migrations (version, description, checksum) VALUES (?, ?, ?)")) {
                insert.setInt(1, migration.version());
                insert.setString(2, migration.description());
                insert.setString(3, checksum);
                insert.executeUpdate();
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
        log.info("Applied PostgreSQL schema migration {} ({})", migration.version(), migration.description());
    }
}
