package io.quantbot.storage.daemon.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.sql.PreparedStatement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A value PostgreSQL cannot store (a data exception, SQLState class 22, or a program limit, 54000) that slipped past the
 * API's own checks is the caller's input: INVALID_ARGUMENT naming what PostgreSQL said, never INTERNAL, never retried,
 * and the pool keeps serving. Skips without PostgreSQL locally; fails under CI=true.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresRefusedValuesTest {
    private TestingStorageDaemon daemon;
    private PostgresDatabase database;

    @BeforeAll
    void start() throws Exception {
        daemon = TestPostgres.shared().configure(TestingStorageDaemon.builder()).build();
        database = daemon.getInstance(PostgresDatabase.class);
    }

    @AfterAll
    void stop() {
        daemon.close();
    }

    @Test
    void aNulCharacterIsInvalidArgument() {
        StorageException refused = catchThrowableOfType(StorageException.class, () -> database.transaction("test.nul", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT ?::text")) {
                select.setString(1, "a\0b");
                select.executeQuery().close();
            }
            return null;
        }));
        assertThat(refused).isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(refused.getMessage()).contains("PostgreSQL cannot store a value").contains("SQLState 22");
        Integer one = database.read(connection -> {
            try (var rows = connection.createStatement().executeQuery("SELECT 1")) {
                rows.next();
                return rows.getInt(1);
            }
        });
        assertThat(one).as("the pool keeps serving").isEqualTo(1);
    }

    @Test
    void anIndexEntryOverTheEnginesLimitIsInvalidArgument() {
        StorageException refused = catchThrowableOfType(StorageException.class, () -> database.transaction("test.limit", connection -> {
            try (var statement = connection.createStatement()) {
                statement.execute("CREATE TEMP TABLE wide (v text)");
                statement.execute("CREATE INDEX ON wide (v)");
                // 1024 characters of 4 bytes each that do not compress: past the btree entry limit (2704 bytes).
                statement.execute("INSERT INTO wide SELECT string_agg(chr(131072 + (i * 7919) % 40000), '') FROM generate_series(1, 1024) i");
            }
            return null;
        }));
        assertThat(refused).isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(refused.getMessage()).contains("SQLState 54000").contains("index row size").hasSizeLessThan(500);
    }
}
