package io.quantbot.storage.daemon.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;

/**
 * The PostgreSQL the cluster-mode tests run against. Its connection (a role that may create databases) is a
 * properties file ({@code url}, {@code user}, {@code password}) named by the system property
 * {@code quantbot.test.postgres} or the environment variable {@code QUANTBOT_TEST_POSTGRES} (default
 * {@code <tmp>/quantbot-test-postgres.properties}); {@code bash bench/postgres-setup --test} installs and starts
 * PostgreSQL and writes it, and .ci/run's tools section runs that. Without a reachable
 * PostgreSQL a test skips with the reason on a developer's machine and fails under {@code CI=true}
 * ({@link ToolRequirement}). Every database a test uses is created here with a unique name and dropped when closed
 * (the shared one at the end of the test JVM). Daemons get the password through a private file, never a flag.
 */
public final class TestPostgres {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static Database shared;

    private TestPostgres() {}

    /** One database with its own warehouse folder, for the daemons of one cluster. */
    public static final class Database implements AutoCloseable {
        private final Admin admin;
        private final String name;
        private final Path passwordFile;
        private final Path warehouse;
        private boolean dropped;

        private Database(Admin admin, String name, Path passwordFile, Path warehouse) {
            this.admin = admin;
            this.name = name;
            this.passwordFile = passwordFile;
            this.warehouse = warehouse;
        }

        public String name() {
            return name;
        }

        public String url() {
            return admin.urlOf(name);
        }

        /** The cluster's shared warehouse folder (cluster.warehouse). */
        public Path warehouse() {
            return warehouse;
        }

        /** The builder, pointed at this database as one more node (its own node id). */
        public TestingStorageDaemon.Builder configure(TestingStorageDaemon.Builder builder) {
            return builder.set("storage.mode", "cluster")
                    .set("cluster.postgres-url", url())
                    .set("cluster.postgres-user", admin.user)
                    .set("cluster.postgres-password-file", passwordFile.toString())
                    .set("cluster.warehouse", warehouse.toUri().toString())
                    .set("cluster.node-id", "test-node-" + HexFormat.of().formatHex(randomBytes(4)))
                    .set("cluster.postgres-pool-size", "8");
        }

        /** The command-line settings of one more node of this cluster, for a daemon in its own process ({@link DaemonProcess}). */
        public String[] nodeArgs(String nodeId) {
            return new String[] {"--set", "storage.mode=cluster", "--set", "cluster.postgres-url=" + url(),
                    "--set", "cluster.postgres-user=" + admin.user, "--set", "cluster.postgres-password-file=" + passwordFile,
                    "--set", "cluster.warehouse=" + warehouse.toUri(), "--set", "cluster.node-id=" + nodeId};
        }

        public String user() {
            return admin.user;
        }

        public String password() {
            return admin.password;
        }

        /** A connection as the test role, for checks the RPCs cannot show. */
        public Connection connect() throws SQLException {
            return admin.connect(url());
        }

        @Override
        public synchronized void close() {
            if (dropped) {
                return;
            }
            dropped = true;
            try (Connection connection = admin.connect(admin.url); Statement statement = connection.createStatement()) {
                statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (SQLException e) {
                throw new IllegalStateException("could not drop the test database " + name + ": " + e.getMessage(), e);
            } finally {
                try {
                    Files.deleteIfExists(passwordFile);
                } catch (IOException e) {
                    // a private temp file; the OS cleans the temp dir
                }
            }
        }
    }

    /** The test JVM's shared database (created on first use, dropped when the JVM exits); skips or fails without PostgreSQL. */
    public static synchronized Database shared() {
        if (shared == null) {
            Database database = newDatabase();
            Runtime.getRuntime().addShutdownHook(new Thread(database::close, "drop-test-database"));
            shared = database;
        }
        return shared;
    }

    /** A new database of its own; the caller closes (drops) it. Skips (locally) or fails (CI=true) without PostgreSQL. */
    public static Database newDatabase() {
        Admin admin = admin();
        String name = "quantbot_test_" + HexFormat.of().formatHex(randomBytes(6));
        try (Connection connection = admin.connect(admin.url); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the test database " + name + " as " + admin.user + ": " + e.getMessage(), e);
        }
        try {
            Path passwordFile = Files.createTempFile("quantbot-test-pg-", ".secret",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(passwordFile, admin.password + "\n");
            Path warehouse = Files.createTempDirectory("quantbot-test-warehouse-");
            return new Database(admin, name, passwordFile, warehouse);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Admin(String url, String user, String password) {
        Admin {
            requireNonNull(url, "url is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
        }

        Connection connect(String jdbcUrl) throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            properties.setProperty("password", password);
            properties.setProperty("connectTimeout", "5");
            return DriverManager.getConnection(jdbcUrl, properties);
        }

        /** The url with its database replaced: jdbc:postgresql://host:port/DB?params. */
        String urlOf(String database) {
            int hostStart = url.indexOf("//") + 2;
            int slash = url.indexOf('/', hostStart);
            int query = url.indexOf('?', hostStart);
            String base = slash < 0 ? (query < 0 ? url : url.substring(0, query)) : url.substring(0, slash);
            String params = query < 0 ? "" : url.substring(query);
            return base + "/" + database + params;
        }
    }

    private static Admin admin() {
        Path named = connectionFile();
        Optional<Path> file = Files.isRegularFile(named) ? Optional.of(named) : Optional.empty();
        if (file.isEmpty()) {
            ToolRequirement.require(false, "no PostgreSQL for tests: " + named + " is missing (run: bash bench/postgres-setup --test, as root;"
                    + " or set QUANTBOT_TEST_POSTGRES to a properties file with url, user and password of a role that may create databases)");
        }
        Properties properties = new Properties();
        try (InputStream input = Files.newInputStream(file.get())) {
            properties.load(input);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the PostgreSQL connection file " + file.get(), e);
        }
        Admin admin = new Admin(properties.getProperty("url", ""), properties.getProperty("user", ""), properties.getProperty("password", ""));
        String problem = null;
        try (Connection connection = admin.connect(admin.url)) {
            connection.isValid(5);
        } catch (SQLException e) {
            problem = e.getMessage();
        }
        ToolRequirement.require(problem == null, "PostgreSQL of " + file.get() + " (" + admin.url + " as " + admin.user
                + ") is not reachable: " + problem + " (start it with: bash bench/postgres-setup --test)");
        return admin;
    }

    private static Path connectionFile() {
        String named = System.getProperty("quantbot.test.postgres");
        if (named == null || named.isBlank()) {
            named = System.getenv("QUANTBOT_TEST_POSTGRES");
        }
        if (named != null && !named.isBlank()) {
            return Path.of(named);
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "quantbot-test-postgres.properties");
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
