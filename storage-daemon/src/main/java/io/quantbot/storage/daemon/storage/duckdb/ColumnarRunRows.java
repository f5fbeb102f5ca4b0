package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RowColumn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.duckdb.DuckDBColumnType;
import org.duckdb.DuckDBDataChunkWriter;
import org.duckdb.DuckDBFunctions;
import org.duckdb.DuckDBTableFunction;
import org.duckdb.DuckDBTableFunctionBindInfo;
import org.duckdb.DuckDBTableFunctionCallInfo;
import org.duckdb.DuckDBTableFunctionInitInfo;
import org.duckdb.DuckDBWritableVector;

/**
 * Writes a chunk of result rows into {@code run_rows} column by column, in one statement: a Java table function
 * ({@value #FUNCTION}) hands DuckDB the chunk's columns a vector (2,048 rows) at a time — primitive arrays copied
 * into the vectors' buffers, each string column encoded in one batch call — and
 * {@code INSERT INTO run_rows SELECT ... FROM quantbot_run_rows(?)} inserts them. No per-value Appender call, and the
 * insert is one statement: it either adds every row of the chunk or, failing, none.
 *
 * <p>The run id and chunk sequence are statement parameters (constant vectors); {@code sweep_id} and
 * {@code scenario_id} default to the run's where the chunk leaves them out or NULL. One instance per connection
 * user (the writer thread): it keeps its prepared statement. The function is registered once per database
 * instance (again after a reopen); the chunk reaches it through a process-wide table of pending chunks keyed by a
 * unique id, removed once the statement ran.
 */
public final class ColumnarRunRows implements AutoCloseable {
    static final String FUNCTION = "quantbot_run_rows";

    /** run_rows columns after run_id and chunk_seq: the run_results columns without run_id, in table order. */
    private static final List<ColumnSpec> COLUMNS = DuckDbRunLedger.ROW_COLUMNS;
    private static final Map<Long, RowBatch> PENDING = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT_ID = new AtomicLong();
    private static final String INSERT = insertSql();

    private Connection connection;
    private PreparedStatement insert;

    /** Inserts the chunk's rows inside the connection's current transaction; returns the rows inserted. */
    public long insert(Connection target, String runId, long chunkSeq, String sweepId, String scenarioId, RowBatch rows) throws SQLException {
        requireNonNull(rows, "rows is null");
        PreparedStatement statement = statement(target);
        long id = NEXT_ID.incrementAndGet();
        PENDING.put(id, rows);
        try {
            statement.setString(1, runId);
            statement.setLong(2, chunkSeq);
            statement.setString(3, sweepId);
            statement.setString(4, scenarioId);
            statement.setLong(5, id);
            int inserted = statement.executeUpdate();
            if (inserted != rows.rowCount()) {
                throw new SQLException("inserted " + inserted + " rows of a chunk of " + rows.rowCount());
            }
            return inserted;
        } finally {
            PENDING.remove(id);
        }
    }

    /** Chunks handed to the table function and not yet released (0 between inserts). */
    static int pendingChunks() {
        return PENDING.size();
    }

    private PreparedStatement statement(Connection target) throws SQLException {
        if (target != connection || insert == null || insert.isClosed()) {
            close();
            register(target);
            insert = target.prepareStatement(INSERT);
            connection = target;
        }
        return insert;
    }

    /** Registers the table function in the database of this connection (idempotent: a second registration replaces the first). */
    public static void register(Connection target) throws SQLException {
        DuckDBFunctions.tableFunction()
                .withName(FUNCTION)
                .withParameter(Long.TYPE)
                .withFunction(new RowsFunction())
                .register(target);
    }

    @Override
    public void close() {
        if (insert != null) {
            try {
                insert.close();
            } catch (SQLException | RuntimeException e) {
                // The connection is closed or replaced: nothing to keep.
            }
        }
        insert = null;
        connection = null;
    }

    private static String insertSql() {
        StringBuilder sql = new StringBuilder("INSERT INTO run_rows SELECT ?, ?");
        for (ColumnSpec column : COLUMNS) {
            String name = ParquetContentHasher.identifier(column.name());
            if (column.name().equals("sweep_id")) {
                sql.append(", coalesce(").append(name).append(", ?)");
            } else if (column.name().equals("scenario_id")) {
                sql.append(", coalesce(").append(name).append(", ?)");
            } else {
                sql.append(", ").append(name);
            }
        }
        return sql.append(" FROM ").append(FUNCTION).append("(?)").toString();
    }

    private static DuckDBColumnType type(ColumnSpec column) {
        return switch (column.type()) {
            case "BIGINT" -> DuckDBColumnType.BIGINT;
            case "DOUBLE" -> DuckDBColumnType.DOUBLE;
            case "BOOLEAN" -> DuckDBColumnType.BOOLEAN;
            case "VARCHAR" -> DuckDBColumnType.VARCHAR;
            default -> throw new IllegalStateException("run_results column " + column.name() + " has type " + column.type());
        };
    }

    /** The chunk to scan, its columns in table order (null = absent, all NULL). */
    private record Scan(int rowCount, RowColumn[] columns) {}

    private static final class RowsFunction implements DuckDBTableFunction<Scan, int[], Object> {
        @Override
        public Scan bind(DuckDBTableFunctionBindInfo info) {
            for (ColumnSpec column : COLUMNS) {
                info.addResultColumn(column.name(), type(column));
            }
            RowBatch rows = PENDING.get(info.getParameter(0).getLong());
            if (rows == null) {
                throw new IllegalStateException(FUNCTION + " is internal to the run ledger's writer: no pending chunk " + info.getParameter(0).getLong());
            }
            RowColumn[] columns = new RowColumn[COLUMNS.size()];
            for (int c = 0; c < columns.length; c++) {
                columns[c] = rows.columns().get(COLUMNS.get(c).name());
            }
            info.setCardinality(rows.rowCount(), true);
            return new Scan(rows.rowCount(), columns);
        }

        @Override
        public int[] init(DuckDBTableFunctionInitInfo info) {
            info.setMaxThreads(1);
            return new int[1];
        }

        @Override
        public long apply(DuckDBTableFunctionCallInfo info, DuckDBDataChunkWriter out) {
            Scan scan = info.getBindData();
            int[] position = info.getInitData();
            int from = position[0];
            int count = (int) Math.min(out.capacity(), scan.rowCount() - from);
            if (count <= 0) {
                return 0;
            }
            for (int c = 0; c < scan.columns().length; c++) {
                fill(out.vector(c), scan.columns()[c], from, count);
            }
            position[0] = from + count;
            return count;
        }

        private static void fill(DuckDBWritableVector vector, RowColumn column, int from, int count) {
            if (column == null) {
                for (int row = 0; row < count; row++) {
                    vector.setNull(row);
                }
                return;
            }
            if (column instanceof RowColumn.Strings strings) {
                String[] values = strings.values();
                vector.setStrings(0, from == 0 && count == values.length ? values : Arrays.copyOfRange(values, from, from + count));
                return;
            }
            BitSet nulls;
            if (column instanceof RowColumn.Longs longs) {
                long[] values = longs.values();
                for (int row = 0; row < count; row++) {
                    vector.setLong(row, values[from + row]);
                }
                nulls = longs.nulls();
            } else if (column instanceof RowColumn.Doubles doubles) {
                double[] values = doubles.values();
                for (int row = 0; row < count; row++) {
                    vector.setDouble(row, values[from + row]);
                }
                nulls = doubles.nulls();
            } else {
                RowColumn.Booleans booleans = (RowColumn.Booleans) column;
                boolean[] values = booleans.values();
                for (int row = 0; row < count; row++) {
                    vector.setBoolean(row, values[from + row]);
                }
                nulls = booleans.nulls();
            }
            for (int row = nulls.nextSetBit(from); row >= 0 && row < from + count; row = nulls.nextSetBit(row + 1)) {
                vector.setNull(row - from);
            }
        }
    }
}
