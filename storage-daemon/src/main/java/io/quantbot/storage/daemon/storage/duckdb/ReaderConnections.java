package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.grpc.Deadline;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read connections duplicated from the writer's database instance (DuckDB wants one connection per
 * thread). Reads see committed data only. A small fixed pool: a reader waits when all are busy, at
 * most until the calling RPC's deadline (or duckdb.reader-wait without one), then fails with a status.
 *
 * <p>A slot counts as taken only once its connection exists, so a failed duplication (e.g. while the
 * database is being reopened) gives the slot back and wakes a waiter. Connections belong to one
 * generation of the database: when it is closed or reopened, idle ones are closed at once and borrowed
 * ones when they come back, so no reader keeps the old DuckDB instance alive.
 */
@Singleton
public final class ReaderConnections {
    private static final Logger log = LoggerFactory.getLogger(ReaderConnections.class);
    private static final int SIZE = 4;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final DuckDbDatabase database;
    private final Duration maxWait;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    /** Idle connections, newest last; guarded by lock. */
    private final ArrayDeque<Pooled> idle = new ArrayDeque<>(SIZE);
    /** Slots taken: connections that exist (idle or borrowed) or are being created; guarded by lock. */
    private int open;
    /** Existing connections lent out; guarded by lock. */
    private int borrowed;
    /** Whether close() waits for lent connections to come back (for tests). */
    private boolean draining;

    @Inject
    public ReaderConnections(DuckDbDatabase database, DatabaseConfig config) {
        this.database = requireNonNull(database, "database is null");
        this.maxWait = requireNonNull(config, "config is null").readerWait();
        database.beforeClose(this::close);
    }

    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    public <T> T read(Work<T> work) throws SQLException {
        Pooled pooled = borrow();
        boolean healthy = false;
        try {
            T result = work.run(pooled.connection());
            healthy = true;
            return result;
        } finally {
            giveBack(pooled, healthy);
        }
    }

    /** Connections that exist now (for tests and diagnostics). */
    int openConnections() {
        lock.lock();
        try {
            return open;
        } finally {
            lock.unlock();
        }
    }

    private Pooled borrow() throws SQLException {
        Deadline callDeadline = io.grpc.Context.current().getDeadline();
        long waitNanos = maxWait.toNanos();
        boolean rpcDeadline = false;
        if (callDeadline != null && callDeadline.timeRemaining(TimeUnit.NANOSECONDS) < waitNanos) {
            waitNanos = Math.max(0, callDeadline.timeRemaining(TimeUnit.NANOSECONDS));
            rpcDeadline = true;
        }
        lock.lock();
        try {
            while (true) {
                Pooled candidate = idle.pollLast();
                if (candidate != null) {
                    if (candidate.generation() == database.generation()) {
                        borrowed++;
                        return candidate;
                    }
                    discard(candidate);
                    continue;
                }
                if (open < SIZE) {
                    open++;
                    break;
                }
                if (waitNanos <= 0) {
                    throw timedOut(rpcDeadline);
                }
                try {
                    waitNanos = released.awaitNanos(waitNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while waiting for a read connection", e);
                }
            }
        } finally {
            lock.unlock();
        }
        // The slot is reserved; create the connection outside the lock and give the slot back if that fails.
        try {
            // duplicateConnection() waits out a reopen; the generation read after it is the instance's own.
            Connection connection = database.duplicateConnection();
            Pooled pooled = new Pooled(connection, database.generation());
            lock.lock();
            try {
                borrowed++;
            } finally {
                lock.unlock();
            }
            return pooled;
        } catch (RuntimeException e) {
            lock.lock();
            try {
                open--;
                released.signal();
            } finally {
                lock.unlock();
            }
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "no read connection to the database (it may be reopening); retry shortly")
                    .retryAfter(Duration.ofSeconds(1))
                    .cause(e)
                    .build();
        }
    }

    private void giveBack(Pooled pooled, boolean healthy) {
        lock.lock();
        try {
            borrowed--;
            if (healthy && pooled.generation() == database.generation()) {
                idle.addLast(pooled);
            } else {
                // A failed read may leave the connection in an aborted transaction, and a connection of an
                // earlier generation holds the old instance: replace either.
                discard(pooled);
            }
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes one connection and frees its slot; lock held. */
    private void discard(Pooled pooled) {
        open--;
        try {
            pooled.connection().close();
        } catch (SQLException | RuntimeException e) {
            log.debug("Closing a read connection failed", e);
        }
    }

    /**
     * Closes idle connections, then waits (at most {@link #CLOSE_WAIT}) for lent ones to come back, which
     * closes them too: DuckDB keeps an instance alive while any of its connections is open, so a reopen
     * must not start while a reader still holds the old one. Runs when the database closes or reopens.
     */
    public void close() {
        lock.lock();
        try {
            Pooled pooled;
            while ((pooled = idle.pollLast()) != null) {
                discard(pooled);
            }
            released.signalAll();
            long waitNanos = CLOSE_WAIT.toNanos();
            draining = true;
            while (borrowed > 0 && waitNanos > 0) {
                waitNanos = released.awaitNanos(waitNanos);
            }
            if (borrowed > 0) {
                log.warn("{} read connections are still in use after {} s; closing the database under them", borrowed, CLOSE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            draining = false;
            lock.unlock();
        }
    }

    /** Whether close() is waiting for lent connections (for tests). */
    boolean draining() {
        lock.lock();
        try {
            return draining;
        } finally {
            lock.unlock();
        }
    }

    private StorageException timedOut(boolean rpcDeadline) {
        if (rpcDeadline) {
            return StorageException.of(ErrorCode.DEADLINE_EXCEEDED,
                    "the call's deadline passed while it waited for one of the " + SIZE + " read connections");
        }
        return StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE,
                        "all " + SIZE + " read connections stayed busy for " + maxWait.toMillis() + " ms (duckdb.reader-wait); retry shortly")
                .retryAfter(Duration.ofSeconds(1))
                .build();
    }

    private record Pooled(Connection connection, long generation) {}
}
