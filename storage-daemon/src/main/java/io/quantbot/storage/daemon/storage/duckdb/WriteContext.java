package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * What a {@link WriteTask} may use during one batch: the writer's connection (inside the batch
 * transaction), DuckDB appenders per table (owned by the writer thread, as duckdb-java requires), and
 * batch-local scratch objects, e.g. an overlay of the in-memory index so later tasks of the batch
 * see the effects of earlier ones.
 */
public final class WriteContext {
    private final DuckDBConnection connection;
    private final Map<String, DuckDBAppender> appenders;
    private final Map<Object, Object> batchLocals = new HashMap<>();
    private boolean touched;

    WriteContext(DuckDBConnection connection, Map<String, DuckDBAppender> appenders) {
        this.connection = requireNonNull(connection, "connection is null");
        this.appenders = requireNonNull(appenders, "appenders is null");
    }

    public Connection connection() {
        touched = true;
        return connection;
    }

    /** The appender of a table in the main schema; rows become visible with the batch commit. */
    public DuckDBAppender appender(String table) throws SQLException {
        touched = true;
        DuckDBAppender appender = appenders.get(table);
        if (appender == null) {
            appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table);
            appenders.put(table, appender);
        }
        return appender;
    }

    /** The writer calls this before each task of the batch. */
    void startTask() {
        touched = false;
    }

    /**
     * Whether the current task used the connection or an appender, i.e. may have written: if it then
     * fails, its partial writes are in the batch transaction and the batch must be rolled back.
     */
    boolean taskTouchedDatabase() {
        return touched;
    }

    /** A scratch object shared by the tasks of this batch only. */
    @SuppressWarnings("unchecked")
    public <T> T batchLocal(Object key, Supplier<T> factory) {
        return (T) batchLocals.computeIfAbsent(key, ignored -> factory.get());
    }
}
