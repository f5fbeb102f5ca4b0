package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.lifecycle.StartupException;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
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
    private final List<Runnable> beforeClose = new CopyOnWriteArrayList<>();
    private volatile DuckDBConnection primary;
    /** Bumped whenever the instance is closed: connections duplicated from an older generation are stale. */
    private volatile long generation;
    private volatile FileStore store;
    /** Owned by the writer thread once open (and by open/close, which run while no batch does). */
    private volatile CommitMarker marker;

    @Inject
    public DuckDbDatabase(DatabaseConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    /** Opens the database (creating the data dir layout). Fails with a {@link StartupException} (exit 3) if another process holds it. */
    public synchronized void open() {
        if (primary != null) {
            return;
        }
        createDirectories();
        checkCommitMarker();
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
        Path directory = config.databaseFile().map(Path::getParent).orElse(config.dataDir());
        try {
            store = Files.getFileStore(directory);
        } catch (IOException e) {
            log.warn("Cannot find the file system of {}; free space is not watched", directory, e);
            store = null;
        }
        if (config.databaseFile().isPresent()) {
            marker = CommitMarker.open(markerFile(config.databaseFile().get()));
            recordPosition(walSizeBytes());
        }
        log.info("Opened DuckDB {} ({})", config.databaseFile().map(Path::toString).orElse("in memory"), duckDbVersion());
    }

    /**
     * Before DuckDB opens (and replays) the WAL: did it lose acknowledged commits? Refuses to start with
     * a {@link StartupException} (exit 4) unless duckdb.accept-data-loss is set, which logs and records the loss.
     */
    private void checkCommitMarker() {
        if (config.databaseFile().isEmpty()) {
            return;
        }
        Path file = config.databaseFile().get();
        Path wal = file.resolveSibling(file.getFileName() + ".wal");
        Optional<CommitMarker.Loss> loss;
        try {
            loss = CommitMarker.check(markerFile(file), wal, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the commit marker " + markerFile(file) + ": " + e.getMessage(), e);
        }
        if (loss.isEmpty()) {
            return;
        }
        String what = loss.get().describe(wal);
        if (!config.acceptDataLoss()) {
            throw new StartupException(what + " Refusing to start. To start with what the WAL still holds, set duckdb.accept-data-loss=true"
                    + " for one start (e.g. --set duckdb.accept-data-loss=true); the loss is then recorded in " + dataLossLog() + ".",
                    StartupException.DATA_LOSS, null);
        }
        log.error("Starting despite lost data (duckdb.accept-data-loss=true): {}", what);
        try {
            Files.writeString(dataLossLog(), java.time.Instant.now() + " accepted at start: " + what + System.lineSeparator(),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            log.error("Cannot record the accepted data loss in {}", dataLossLog(), e);
        }
    }

    private Path dataLossLog() {
        return config.dataDir().resolve("data-loss.log");
    }

    static Path markerFile(Path databaseFile) {
        return databaseFile.resolveSibling(databaseFile.getFileName() + ".commits");
    }

    /**
     * After a durable commit, before any caller hears of it: how far the WAL now reaches, fsynced. A
     * failure to write the marker only weakens the detection of a lost WAL tail; it never fails the write.
     */
    void recordCommit() {
        CommitMarker current = marker;
        if (current == null) {
            return;
        }
        try {
            current.recordCommit(walSizeBytes(), System.currentTimeMillis());
        } catch (IOException e) {
            log.warn("Cannot update the commit marker; a lost WAL tail might go unnoticed until it is written again", e);
        }
    }

    /** Before a checkpoint (which empties the WAL) with 0, and after it with the WAL's length. */
    void recordPosition(long walEnd) {
        CommitMarker current = marker;
        if (current == null) {
            return;
        }
        try {
            current.recordPosition(walEnd, System.currentTimeMillis());
        } catch (IOException e) {
            log.warn("Cannot update the commit marker", e);
        }
    }

    /**
     * Closes and opens the database again, e.g. after DuckDB invalidated the instance (disk full during a
     * checkpoint). The listeners registered with {@link #beforeClose} first let go of their duplicated
     * connections: DuckDB keeps an instance alive while any connection to it is open.
     */
    public synchronized void reopen() {
        closeQuietly();
        open();
    }

    /** Runs before the instance is closed (reopen or shutdown), e.g. to close pooled read connections. */
    public void beforeClose(Runnable listener) {
        beforeClose.add(requireNonNull(listener, "listener is null"));
    }

    /** Changes whenever the instance is closed; a connection duplicated under another generation is stale. */
    public long generation() {
        return generation;
    }

    /**
     * Replaces the writer's connection by a fresh one on the same instance and closes the old one, which
     * makes DuckDB roll back whatever transaction it still holds (used when a ROLLBACK failed).
     */
    public synchronized DuckDBConnection replacePrimaryConnection() {
        DuckDBConnection old = primaryConnection();
        DuckDBConnection fresh;
        try {
            fresh = (DuckDBConnection) old.duplicate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot replace the writer's connection: " + e.getMessage(), e);
        }
        primary = fresh;
        try {
            old.close();
        } catch (SQLException e) {
            log.warn("Closing the replaced writer connection failed", e);
        }
        return fresh;
    }

    /** Bytes free for this process on the file system holding the database file; -1 when unknown. */
    public long usableSpaceBytes() {
        FileStore current = store;
        if (current == null) {
            return -1;
        }
        try {
            return current.getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    public DuckDBConnection primaryConnection() {
        DuckDBConnection connection = primary;
        if (connection == null) {
            throw new IllegalStateException("database is not open");
        }
        return connection;
    }

    /**
     * A new connection to the same database, for one thread at a time. The caller closes it. Waits while
     * the database is being closed or reopened, so it never hands out a connection to an instance that is
     * on its way out.
     */
    public synchronized Connection duplicateConnection() {
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
        generation++;
        for (Runnable listener : beforeClose) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("A close listener failed", e);
            }
        }
        DuckDBConnection connection = primary;
        primary = null;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.warn("Closing DuckDB failed", e);
            }
        }
        CommitMarker current = marker;
        marker = null;
        if (current != null) {
            try {
                // Closing may have checkpointed (or not): what the WAL holds now is what the next start must find.
                current.recordPosition(walSizeBytes(), System.currentTimeMillis());
                current.close();
            } catch (IOException e) {
                log.warn("Closing the commit marker failed", e);
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
            return new StartupException("the database " + file + " is locked by " + who
                    + ". Only one daemon may own a data dir: stop that process, or point data-dir elsewhere.",
                    StartupException.HELD_BY_ANOTHER_PROCESS, e);
        }
        return new IllegalStateException("cannot open the database " + file + ": " + message, e);
    }
}
