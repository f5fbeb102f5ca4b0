package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.lifecycle.StartupException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's PostgreSQL: a small pool of pgjdbc connections (at most {@code cluster.postgres-pool-size}, opened on
 * demand, a broken one closed instead of returned), the versioned migrations, and transactions that are retried
 * when PostgreSQL says the outcome was decided by a concurrent one (serialization failure, deadlock, a unique key
 * another daemon took first) and fail loudly otherwise. Every session runs with {@code synchronous_commit = on}, so a
 * commit returns only once it is durable. A probe keeps the readiness condition {@code postgres} current.
 */
@Singleton
public final class PostgresDatabase {
    private static final Logger log = LoggerFactory.getLogger(PostgresDatabase.class);

    /** The readiness condition this database reports. */
    public static final String READINESS_CONDITION = "postgres";
    static final int MAX_ATTEMPTS = 8;
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);
    private static final Duration IDLE_VALIDATION = Duration.ofSeconds(30);

    private final ClusterConfig config;
    private final Readiness readiness;
    private final MeterRegistry registry;
    private final Semaphore permits;
    private final Deque<Idle> idle = new ArrayDeque<>();
    private final AtomicInteger open = new AtomicInteger();
    private final Counter errorsConnection;
    private final Counter errorsCommitUnknown;
    private final Counter errorsSql;
    private final Map<String, Counter> retries = new ConcurrentHashMap<>();
    private ScheduledExecutorService probe;
    private volatile boolean closed;
    private volatile String serverVersion = "";

    /** Work inside one transaction; may run more than once when PostgreSQL asks for a retry. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    private record Idle(Connection connection, long sinceNanos) {}

    @Inject
    public PostgresDatabase(ClusterConfig config, Readiness readiness, MeterRegistry registry) {
        this.config = requireNonNull(config, "config is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.permits = new Semaphore(config.poolSize(), true);
        readiness.require(READINESS_CONDITION, "not connected to PostgreSQL yet");
        this.errorsConnection = errors("connection");
        this.errorsCommitUnknown = errors("commit_unknown");
        this.errorsSql = errors("sql");
        Gauge.builder("quantbot.postgres.connections", open, AtomicInteger::get)
                .description("Open PostgreSQL connections of this daemon's pool (at most cluster.postgres-pool-size)")
                .register(registry);
    }

    private Counter errors(String kind) {
        return Counter.builder("quantbot.postgres.errors")
                .description("PostgreSQL calls that failed: connection (could not connect or the connection broke; the call failed"
                        + " UNAVAILABLE), commit_unknown (the connection broke during COMMIT, so the outcome is unknown), sql (any other"
                        + " error)")
                .tag("kind", kind)
                .register(registry);
    }

    private Counter retryCounter(String reason) {
        return retries.computeIfAbsent(reason, key -> Counter.builder("quantbot.postgres.commit.retries")
                .description("Transactions run again because PostgreSQL decided against them in favour of a concurrent one"
                        + " (serialization_failure, deadlock, unique_violation) or the connection broke before COMMIT")
                .tag("reason", key)
                .register(registry));
    }

    /** Connects, applies the migrations (one daemon at a time) and starts the readiness probe. */
    public synchronized int open() {
        closed = false;
        int version;
        Connection connection;
        try {
            connection = connect();
        } catch (SQLException e) {
            throw startupFailure(e);
        }
        try {
            try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SHOW server_version")) {
                rows.next();
                serverVersion = rows.getString(1);
            }
            version = PostgresMigrator.migrate(connection);
            ClusterIdentity.check(connection, config);
        } catch (SQLException e) {
            throw startupFailure(e);
        } finally {
            closeQuietly(connection);
        }
        readiness.markReady(READINESS_CONDITION);
        probe = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "postgres-probe");
            thread.setDaemon(true);
            return thread;
        });
        probe.scheduleWithFixedDelay(this::probe, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        log.info("Connected to PostgreSQL {} at {} as {} (schema version {}, pool of {})", serverVersion, config.postgresUrl(),
                config.postgresUser(), version, config.poolSize());
        return version;
    }

    private StartupException startupFailure(SQLException e) {
        String state = String.valueOf(e.getSQLState());
        String what = "cannot use PostgreSQL at " + config.postgresUrl() + " as " + config.postgresUser() + ": " + firstLine(e);
        if (state.equals("28P01") || state.equals("28000")) {
            return new StartupException(what + " (check cluster.postgres-user and the password)", StartupException.BAD_SETTING, e);
        }
        if (state.equals("3D000")) {
            return new StartupException(what + " (create the database, or fix cluster.postgres-url)", StartupException.BAD_SETTING, e);
        }
        return new StartupException(what, 1, e);
    }

    public String serverVersion() {
        return serverVersion;
    }

    public synchronized void close() throws InterruptedException {
        closed = true;
        if (probe != null) {
            probe.shutdownNow();
            probe.awaitTermination(5, TimeUnit.SECONDS);
            probe = null;
        }
        synchronized (idle) {
            for (Idle connection : idle) {
                closeQuietly(connection.connection());
            }
            idle.clear();
        }
        readiness.markNotReady(READINESS_CONDITION, "closed");
    }

    /** Runs read-only work on a pooled connection in autocommit mode (one statement sees one snapshot). */
    public <T> T read(SqlWork<T> work) {
        Connection connection = borrow();
        boolean broken = false;
        try {
            return work.run(connection);
        } catch (SQLException e) {
            broken = isConnectionFailure(e);
            throw failure(e, broken ? errorsConnection : errorsSql);
        } finally {
            release(connection, broken);
        }
    }

    /**
     * Runs work in one transaction and commits; runs it again on a fresh snapshot when PostgreSQL decided against it
     * (serialization failure, deadlock, unique violation) or the connection broke before COMMIT was sent. A connection
     * that breaks during COMMIT leaves the outcome unknown: that fails UNAVAILABLE and is never retried here.
     */
    public <T> T transaction(String name, SqlWork<T> work) {
        for (int attempt = 1; ; attempt++) {
            Connection connection = borrow();
            boolean broken = false;
            boolean committing = false;
            try {
                connection.setAutoCommit(false);
                T result = work.run(connection);
                committing = true;
                connection.commit();
                return result;
            } catch (SQLException e) {
                broken = isConnectionFailure(e) || !rollbackQuietly(connection);
                if (broken && committing) {
                    errorsCommitUnknown.increment();
                    markDown(e);
                    throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "the connection to PostgreSQL broke while " + name
                                    + " committed, so whether it was applied is unknown; read it back before retrying: " + firstLine(e))
                            .retryAfter(Duration.ofSeconds(1))
                            .cause(e)
                            .build();
                }
                String reason = retryReason(e, broken);
                if (reason != null && attempt < MAX_ATTEMPTS) {
                    retryCounter(reason).increment();
                    log.debug("{} is run again ({}, attempt {}): {}", name, reason, attempt, firstLine(e));
                    continue;
                }
                throw failure(e, broken ? errorsConnection : errorsSql);
            } catch (RuntimeException e) {
                broken = !rollbackQuietly(connection);
                throw e;
            } finally {
                release(connection, broken);
            }
        }
    }

    private static String retryReason(SQLException e, boolean broken) {
        if (broken) {
            return "connection";
        }
        return switch (String.valueOf(e.getSQLState())) {
            case "40001" -> "serialization_failure";
            case "40P01" -> "deadlock";
            case "23505" -> "unique_violation";
            default -> null;
        };
    }

    /** What the server said, without the statement and its values (a batch's message repeats them whole), at most 300 characters. */
    static String serverMessage(SQLException e) {
        for (SQLException at = e; at != null; at = at.getNextException()) {
            if (at instanceof org.postgresql.util.PSQLException psql && psql.getServerErrorMessage() != null
                    && psql.getServerErrorMessage().getMessage() != null) {
                return cut(psql.getServerErrorMessage().getMessage());
            }
        }
        return cut(firstLine(e));
    }

    private static String cut(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private RuntimeException failure(SQLException e, Counter counter) {
        counter.increment();
        if (counter == errorsConnection) {
            markDown(e);
            return StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "PostgreSQL is unreachable or the connection broke: " + firstLine(e)
                            + "; retry shortly")
                    .retryAfter(Duration.ofSeconds(1))
                    .cause(e)
                    .build();
        }
        String state = String.valueOf(e.getSQLState());
        if (state.startsWith("22") || state.equals("54000")) {
            // A data exception or a program limit: PostgreSQL refused a value of this request that the API's own checks
            // let through (the engines differ: DuckDB takes it). The caller's input, not a daemon fault, so not INTERNAL.
            log.warn("PostgreSQL refused a value (SQLState {}); answered INVALID_ARGUMENT", state, e);
            return StorageException.builder(ErrorCode.INVALID_ARGUMENT, "PostgreSQL cannot store a value of this request (SQLState " + state
                    + "): " + serverMessage(e) + "; shorten or change the value").cause(e).build();
        }
        return new IllegalStateException("PostgreSQL failed (SQLState " + e.getSQLState() + "): " + firstLine(e), e);
    }

    private void markDown(SQLException e) {
        readiness.markNotReady(READINESS_CONDITION, "PostgreSQL unreachable: " + firstLine(e));
    }

    /** A pooled connection, waiting up to cluster.postgres-connection-wait for one to be free. */
    private Connection borrow() {
        if (closed) {
            throw StorageException.builder(ErrorCode.SHUTTING_DOWN, "the PostgreSQL pool is closed").build();
        }
        try {
            if (!permits.tryAcquire(config.connectionWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "all " + config.poolSize()
                                + " PostgreSQL connections stayed busy for " + config.connectionWait().toMillis()
                                + " ms (cluster.postgres-connection-wait); retry shortly")
                        .retryAfter(Duration.ofSeconds(1))
                        .build();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StorageException.builder(ErrorCode.CANCELLED, "interrupted while waiting for a PostgreSQL connection").cause(e).build();
        }
        try {
            while (true) {
                Idle candidate;
                synchronized (idle) {
                    candidate = idle.pollFirst();
                }
                if (candidate == null) {
                    return connect();
                }
                if (System.nanoTime() - candidate.sinceNanos() < IDLE_VALIDATION.toNanos() || candidate.connection().isValid(2)) {
                    return candidate.connection();
                }
                closeQuietly(candidate.connection());
            }
        } catch (SQLException e) {
            permits.release();
            errorsConnection.increment();
            markDown(e);
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "cannot connect to PostgreSQL: " + firstLine(e) + "; retry shortly")
                    .retryAfter(Duration.ofSeconds(1))
                    .cause(e)
                    .build();
        } catch (RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    private void release(Connection connection, boolean broken) {
        try {
            if (broken || closed || connection.isClosed()) {
                closeQuietly(connection);
                return;
            }
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            synchronized (idle) {
                idle.addFirst(new Idle(connection, System.nanoTime()));
            }
        } catch (SQLException e) {
            closeQuietly(connection);
        } finally {
            permits.release();
        }
    }

    private Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", config.postgresUser());
        properties.setProperty("password", config.postgresPassword().reveal());
        properties.setProperty("ApplicationName", "quantbot-storage " + config.nodeId());
        properties.setProperty("connectTimeout", Long.toString(Math.max(1, config.connectionWait().toSeconds())));
        properties.setProperty("tcpKeepAlive", "true");
        Connection connection = DriverManager.getConnection(config.postgresUrl(), properties);
        try (Statement statement = connection.createStatement()) {
            // Acknowledged means durable, whatever the server's default.
            statement.execute("SET synchronous_commit TO on");
            statement.execute("SET TIME ZONE 'UTC'");
        } catch (SQLException e) {
            closeQuietly(connection);
            throw e;
        }
        open.incrementAndGet();
        return connection;
    }

    private void probe() {
        try {
            read(connection -> {
                try (Statement statement = connection.createStatement()) {
                    statement.setQueryTimeout(5);
                    statement.execute("SELECT 1");
                }
                return null;
            });
            readiness.markReady(READINESS_CONDITION);
        } catch (RuntimeException e) {
            readiness.markNotReady(READINESS_CONDITION, "PostgreSQL unreachable: " + e.getMessage());
        }
    }

    /** The connection itself failed (SQLState class 08, or pgjdbc's own I/O failures): discard it. */
    static boolean isConnectionFailure(SQLException e) {
        for (Throwable current = e; current != null; current = current.getCause()) {
            if (current instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"))) {
                    return true;
                }
            }
            if (current instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    private void closeQuietly(Connection connection) {
        try {
            if (!connection.isClosed()) {
                connection.close();
            }
        } catch (SQLException e) {
            log.debug("Closing a PostgreSQL connection failed: {}", e.getMessage());
        } finally {
            open.decrementAndGet();
        }
    }

    /** False when the ROLLBACK failed: such a connection is closed, never reused (its transaction must not commit later). */
    private static boolean rollbackQuietly(Connection connection) {
        try {
            if (!connection.isClosed() && !connection.getAutoCommit()) {
                connection.rollback();
            }
            return true;
        } catch (SQLException e) {
            log.debug("ROLLBACK failed: {}", e.getMessage());
            return false;
        }
    }

    static String firstLine(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
