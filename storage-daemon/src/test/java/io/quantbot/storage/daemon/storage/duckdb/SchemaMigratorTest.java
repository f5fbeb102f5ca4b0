package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaMigratorTest {
    @Test
    void migratesAFreshDatabaseOnceAndIsIdempotent() throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
            int version = SchemaMigrator.migrate(connection);
            assertThat(version).isEqualTo(SchemaMigrator.MIGRATIONS.get(SchemaMigrator.MIGRATIONS.size() - 1).version());
            assertThat(SchemaMigrator.migrate(connection)).isEqualTo(version);
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT count(*) FROM schema_migrations")) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(SchemaMigrator.MIGRATIONS.size());
            }
        }
    }

    @Test
    void refusesADatabaseFromANewerDaemon() throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
            SchemaMigrator.migrate(connection);
            try (Statement statement = connection.createStatement()) {
                statement.execute("INSERT INTO schema_migrations (version, description, checksum) VALUES (999, 'future', 'x')");
            }
            assertThatThrownBy(() -> SchemaMigrator.migrate(connection)).hasMessageContaining("schema version 999")
                    .hasMessageContaining("newer daemon");
        }
    }

    @Test
    void refusesAMigrationWhoseTextChangedAfterItWasApplied() throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
            SchemaMigrator.migrate(connection);
            try (Statement statement = connection.createStatement()) {
                statement.execute("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1");
            }
            assertThatThrownBy(() -> SchemaMigrator.migrate(connection)).hasMessageContaining("differs from the one applied");
        }
    }

    @Test
    void aFailingMigrationLeavesNothingBehind() throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
            List<io.quantbot.storage.daemon.storage.MigrationScripts.Migration> broken = List.of(new io.quantbot.storage.daemon.storage.MigrationScripts.Migration(1, "state log", "V001__state_log.sql"),
                    new io.quantbot.storage.daemon.storage.MigrationScripts.Migration(2, "broken", "V001__state_log.sql"));
            assertThatThrownBy(() -> SchemaMigrator.migrate(connection, broken)).hasMessageContaining("schema migration failed");
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT max(version) FROM schema_migrations")) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(1);
            }
        }
    }

    @Test
    void splitsStatementsAndDropsComments() {
        assertThat(io.quantbot.storage.daemon.storage.MigrationScripts.splitStatements("-- c\nCREATE TABLE a (x INT); -- trailing\nCREATE VIEW b AS SELECT 1;\n"))
                .containsExactly("CREATE TABLE a (x INT)", "CREATE VIEW b AS SELECT 1");
    }
}
