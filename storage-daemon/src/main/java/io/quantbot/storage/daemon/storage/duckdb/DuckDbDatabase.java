package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.DatabaseConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sole owner of the DuckDB database. DuckDB lets one process open a file read-write and no other
 * process read it meanwhile, so every access of the daemon goes through connections duplicated from
 * the one opened here. The writer thread owns {@link #primaryConnection()}; readers duplicate.
 */
@Singleton
public final class DuckDbDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DuckDbDatabase.class);
    private static final Pattern LOCK_HOLDER = Pattern.compile("Conflicting lock is held in (.*) \\(PID (\\d+)\\)");

    private final DatabaseConfig config;
    private volatile DuckDBConnection primary;

    @Inject
    public DuckDbDatabase(DatabaseConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    /** Opens the database (creating the data dir layout). Fails with {@link DatabaseLockedException} if another process holds it. */
    public synchronized void open() {
        if (primary != null) {
            return;
        }
        createDirectories();
        String url = config.databaseFile().map(path -> "jdbc:duckdb:" + path).orElse("jdbc:duckdb:");
        Properties properties = new Properties();
        if (!config.memoryLimit().isEmpty()) {
            properties.setProperty("memory_limit", config.memoryLimit());
        }
        if (config.threads() > 0) {
            properties.setProperty("threads", Integer.toString(config.threads()));
        }
        try {
            primary = (DuckDBConnection) DriverManager.getConnection(url, properties);
        } catch (SQLException e) {
            throw translateOpenFailure(e);
        }
        log.info("Opened DuckDB {} ({})", config.databaseFile().map(Path::toString).orElse("in memory"), duckDbVersion());
    }

    /** Closes and opens the database again, e.g. after DuckDB invalidated the instance (disk full during a write). */
    public synchronized void reopen() {
        closeQuietly();
        open();
    }

    public DuckDBConnection primaryConnection() {
        DuckDBConnection connection = primary;
        if (connection == null) {
            throw new IllegalStateException("database is not open");
        }
        return connection;
    }

    /** A new connection to the same database, for one thread at a time. The caller closes it. */
    public Connection duplicateConnection() {
        try {
            return primaryConnection().duplicate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot duplicate the DuckDB connection", e);
        }
    }

    public Optional<Path> databaseFile() {
        return config.databaseFile();
    }

    /** Size of the write-ahead log in bytes (0 when there is none). */
    public long walSizeBytes() {
        return config.databaseFile()
                .map(path -> path.resolveSibling(path.getFileName() + ".wal"))
                .map(wal -> {
                    try {
                        return Files.exists(wal) ? Files.size(wal) : 0L;
                    } catch (IOException e) {
                        return 0L;
                    }
                })
                .orElse(0L);
    }

    public String duckDbVersion() {
        try (Statement statement = primaryConnection().createStatement();
                ResultSet result = statement.executeQuery("SELECT version()")) {
            result.next();
            return result.getString(1);
        } catch (SQLException e) {
            return "unknown";
        }
    }

    @Override
    public synchronized void close() {
        if (primary == null) {
            return;
        }
        closeQuietly();
        log.info("Closed DuckDB");
    }

    private void closeQuietly() {
        DuckDBConnection connection = primary;
        primary = null;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.warn("Closing DuckDB failed", e);
            }
        }
    }

    private void createDirectories() {
        try {
            Files.createDirectories(config.dataDir());
            Files.createDirectories(config.lakeDir());
            Files.createDirectories(config.stagingDir());
            Optional<Path> parent = config.databaseFile().map(Path::getParent);
            if (parent.isPresent()) {
                Files.createDirectories(parent.get());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + config.dataDir() + ": " + e.getMessage(), e);
        }
    }

    private RuntimeException translateOpenFailure(SQLException e) {
        String message = String.valueOf(e.getMessage());
        String file = config.databaseFile().map(Path::toString).orElse(":memory:");
        if (message.contains("Could not set lock on file")) {
            Matcher holder = LOCK_HOLDER.matcher(message);
            String who = holder.find() ? "process " + holder.group(2) + " (" + holder.group(1) + ")" : "another process";
            return new DatabaseLockedException("the database " + file + " is locked by " + who
                    + ". Only one daemon may own a data dir: stop that process, or point data-dir elsewhere.", e);
        }
        return new IllegalStateException("cannot open the database " + file + ": " + message, e);
    }
}
