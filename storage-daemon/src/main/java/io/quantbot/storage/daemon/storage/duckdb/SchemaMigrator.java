package io.quantbot.storage.daemon.storage.duckdb;

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
 * Versioned schema migrations, applied in order at start, each in its own transaction, recorded
 * with a checksum. A database migrated by a newer daemon, or a migration whose text changed after it
 * was applied, stops the start with a clear error instead of guessing.
 */
public final class SchemaMigrator {
    private static final Logger log = LoggerFactory.getLogger(SchemaMigrator.class);

    /** Every migration, in order. Never edit one that shipped: add a new one. */
    public static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "state log", "V001__state_log.sql"),
            new Migration(2, "artifact catalog and run ledger", "V002__catalog_and_runs.sql"),
            new Migration(3, "run chunk digests", "V003__run_chunk_digests.sql"));


    private static final String CREATE_HISTORY = """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     INTEGER PRIMARY KEY,
                description VARCHAR NOT NULL,
                checksum    VARCHAR NOT NULL,
                applied_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
            )""";
    private static final String SELECT_HISTORY = "SELECT version, checksum FROM schema_migrations ORDER BY version";
    private static final String INSERT_HISTORY = "INSERT INTO schema_migrations (version, description, checksum) VALUES (?, ?, ?)";

    private SchemaMigrator() {}

    /** Applies the missing migrations; returns the schema version the database is at afterwards. */
    public static int migrate(Connection connection) {
        return migrate(connection, MIGRATIONS);
    }

    static int migrate(Connection connection, List<Migration> migrations) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(CREATE_HISTORY);
            Map<Integer, String> applied = new HashMap<>();
            try (ResultSet rows = statement.executeQuery(SELECT_HISTORY)) {
                while (rows.next()) {
                    applied.put(rows.getInt(1), rows.getString(2));
                }
            }
            for (MigrationScripts.Pending pending : MigrationScripts.pending("the database", "/db/migration", migrations, applied)) {
                apply(connection, pending.migration(), pending.sql(), pending.checksum());
            }
            return MigrationScripts.newest(migrations);
        } catch (SQLException e) {
            throw new IllegalStateException("schema migration failed: " + e.getMessage(), e);
        }
    }

    private static void apply(Connection connection, Migration migration, String sql, String checksum) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("BEGIN TRANSACTION");
            try {
                for (String part : MigrationScripts.splitStatements(sql)) {
                    statement.execute(part);
                }
                try (PreparedStatement insert = connection.prepareStatement(INSERT_HISTORY)) {
                    insert.setInt(1, migration.version());
                    insert.setString(2, migration.description());
                    insert.setString(3, checksum);
                    insert.executeUpdate();
                }
                statement.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                statement.execute("ROLLBACK");
                throw e;
            }
        }
        log.info("Applied schema migration {} ({})", migration.version(), migration.description());
    }
}
