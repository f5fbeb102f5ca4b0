package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Read connections duplicated from the writer's database instance (DuckDB wants one connection per
 * thread). Reads see committed data only. A small fixed pool: a reader waits when all are busy.
 */
@Singleton
public final class ReaderConnections {
    private static final int SIZE = 4;

    private final DuckDbDatabase database;
    private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(SIZE);
    private int created;

    @Inject
    public ReaderConnections(DuckDbDatabase database) {
        this.database = requireNonNull(database, "database is null");
    }

    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    public <T> T read(Work<T> work) throws SQLException {
        Connection connection = borrow();
        boolean healthy = false;
        try {
            T result = work.run(connection);
            healthy = true;
            return result;
        } finally {
            giveBack(connection, healthy);
        }
    }

    private Connection borrow() throws SQLException {
        Connection connection = idle.poll();
        if (connection != null) {
            return connection;
        }
        synchronized (this) {
            if (created < SIZE) {
                created++;
                return database.duplicateConnection();
            }
        }
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a read connection", e);
        }
    }

    private void giveBack(Connection connection, boolean healthy) {
        if (healthy) {
            idle.offer(connection);
            return;
        }
        // A failed read may leave the connection in an aborted transaction: replace it.
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a broken connection
        }
        synchronized (this) {
            created--;
        }
    }

    /** Closes idle connections (at shutdown, before the database closes). */
    public synchronized void close() {
        Connection connection;
        while ((connection = idle.poll()) != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // shutting down
            }
            created--;
        }
    }
}
