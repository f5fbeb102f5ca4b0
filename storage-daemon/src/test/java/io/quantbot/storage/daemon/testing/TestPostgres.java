package io.quantbot.storage.daemon.testing;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;

/**
 * A PostgreSQL database of its own for one test, dropped on close. The server comes from a properties file (url,
 * user, password of a role with CREATEDB) named by {@value #ENV}, else {@code ${TMPDIR:-/tmp}/quantbot-test-postgres.properties};
 * {@code bash bench/postgres-setup --test} installs and starts PostgreSQL and writes that file, and .ci/run runs it.
 * Without a server the test skips locally and fails under CI=true ({@link ToolRequirement}).
 */
public final class TestPostgres implements AutoCloseable {
    public static final String ENV = "QUANTBOT_TEST_POSTGRES";

    private final String serverUrl;
    private final String user;
    private final String password;
    private final String database;

    private TestPostgres(String serverUrl, String user, String password, String database) {
        this.serverUrl = serverUrl;
        this.user = user;
        this.password = password;
        this.database = database;
    }

    /** Creates a fresh database (or skips / fails as the class says). */
    public static TestPostgres createDatabase() throws SQLException {
        Path file = connectionFile();
        ToolRequirement.require(Files.isReadable(file), "no PostgreSQL for tests: " + file + " is missing (run: bash bench/postgres-setup --test)");
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
        String url = properties.getProperty("url");
        String user = properties.getProperty("user");
        String password = properties.getProperty("password");
        String database = "qb_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection connection = DriverManager.getConnection(url, user, password); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            ToolRequirement.require(false, "the PostgreSQL of " + file + " does not answer or refuses (" + e.getMessage()
                    + "); run: bash bench/postgres-setup --test");
        }
        return new TestPostgres(url, user, password, database);
    }

    /** The JDBC URL of this test's database. */
    public String url() {
        int slash = serverUrl.lastIndexOf('/');
        int query = serverUrl.indexOf('?', slash);
        return serverUrl.substring(0, slash + 1) + database + (query < 0 ? "" : serverUrl.substring(query));
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public String database() {
        return database;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), user, password);
    }

    @Override
    public void close() throws SQLException {
        try (Connection connection = DriverManager.getConnection(serverUrl, user, password); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    private static Path connectionFile() {
        String named = System.getenv(ENV);
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "quantbot-test-postgres.properties");
    }
}
