package io.quantbot.storage.daemon.storage.postgres;

import io.quantbot.storage.daemon.storage.MigrationScripts;
import io.quantbot.storage.daemon.storage.MigrationScripts.Migration;
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
            new Migration(2, "artifact catalog", "V002__catalog.sql"),
            new Migration(3, "catalog files in the warehouse", "V003__catalog_files_in_warehouse.sql"),
            new Migration(4, "the Iceberg lake outbox", "V004__lake_outbox.sql"),
            new Migration(5, "run leases", "V005__run_leases.sql"),
            new Migration(6, "tag value hash index", "V006__tag_value_hash_index.sql"));


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
        for (MigrationScripts.Pending pending : MigrationScripts.pending("the cluster's PostgreSQL", "/db/postgres", migrations, applied)) {
            apply(connection, pending.migration(), pending.sql(), pending.checksum());
        }
        return MigrationScripts.newest(migrations);
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
