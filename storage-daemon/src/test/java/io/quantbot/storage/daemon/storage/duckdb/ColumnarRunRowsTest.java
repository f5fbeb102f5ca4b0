package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RowColumn;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ColumnarRunRowsTest {
    private static final String RUN = "run_01ARZ3NDEKTSV4RRFFQ69G5FAV";

    @Test
    void insertsEveryValueAndNullOfAChunkLongerThanOneVector() throws Exception {
        int rows = 5_000; // three DuckDB vectors of 2,048 rows
        try (Connection connection = database(); ColumnarRunRows columnar = new ColumnarRunRows()) {
            assertThat(columnar.insert(connection, RUN, 7, "sweep-a", "scenario-a", batch(rows, true))).isEqualTo(rows);
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("""
                            SELECT run_id, chunk_seq, sweep_id, scenario_id, call_id, lag_ms, net_return, tradeable, skip_reason, "interval"
                            FROM run_rows ORDER BY call_ts""")) {
                int row = 0;
                while (result.next()) {
                    assertThat(result.getString(1)).isEqualTo(RUN);
                    assertThat(result.getLong(2)).isEqualTo(7);
                    // sweep_id is absent from the chunk, scenario_id NULL in odd rows: both default to the run's.
                    assertThat(result.getString(3)).isEqualTo("sweep-a");
                    assertThat(result.getString(4)).isEqualTo(row % 2 == 1 ? "scenario-a" : "given-" + row);
                    assertThat(result.getString(5)).isEqualTo("call-" + row);
                    assertThat(result.getObject(6)).isEqualTo(row % 3 == 0 ? null : (long) row * 10);
                    assertThat(result.getObject(7)).isEqualTo(row % 5 == 0 ? null : row / 100.0);
                    assertThat(result.getObject(8)).isEqualTo(row % 7 == 0 ? null : row % 2 == 0);
                    assertThat(result.getString(9)).isEqualTo(row % 10 == 0 ? "no_candles" : null);
                    assertThat(result.getString(10)).isEqualTo("1m");
                    row++;
                }
                assertThat(row).isEqualTo(rows);
            }
        }
        assertThat(ColumnarRunRows.pendingChunks()).isZero();
    }

    @Test
    void aChunkThatFailsHalfWayLeavesNoRowAndTheNextChunkStillGoesIn() throws Exception {
        try (Connection connection = database(); ColumnarRunRows columnar = new ColumnarRunRows()) {
            // A column shorter than the chunk (RunService refuses it first; here the insert itself must fail whole):
            // the first vector of 2,048 rows is written before the scan reaches the missing values.
            RowBatch broken = batch(5_000, false);
            List<RowColumn> columns = new ArrayList<>(broken.columns().values());
            columns.replaceAll(column -> column.name().equals("entry_px") ? new RowColumn.Doubles("entry_px", new double[3_000], new BitSet()) : column);
            try (Statement statement = connection.createStatement()) {
                statement.execute("BEGIN TRANSACTION");
                assertThatThrownBy(() -> columnar.insert(connection, RUN, 1, "s", "c", RowBatch.of(5_000, columns)))
                        .isInstanceOf(SQLException.class);
                statement.execute("ROLLBACK");
            }
            assertThat(count(connection)).isZero();
            assertThat(ColumnarRunRows.pendingChunks()).isZero();
            // The prepared statement a failed execution closed is prepared again.
            assertThat(columnar.insert(connection, RUN, 2, "s", "c", batch(10, false))).isEqualTo(10);
            assertThat(count(connection)).isEqualTo(10);
        }
    }

    @Test
    void aNewConnectionRegistersTheFunctionAgain() throws Exception {
        try (Connection first = database(); ColumnarRunRows columnar = new ColumnarRunRows()) {
            columnar.insert(first, RUN, 1, "s", "c", batch(3, false));
            try (Connection second = ((org.duckdb.DuckDBConnection) first).duplicate()) {
                assertThat(columnar.insert(second, RUN, 2, "s", "c", batch(4, false))).isEqualTo(4);
            }
            assertThat(count(first)).isEqualTo(7);
        }
    }

    private static Connection database() throws SQLException {
        Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        SchemaMigrator.migrate(connection);
        return connection;
    }

    private static long count(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("SELECT count(*) FROM run_rows")) {
            result.next();
            return result.getLong(1);
        }
    }

    /** Every run_results column but sweep_id (left out: it defaults to the run's), with NULLs in each type. */
    private static RowBatch batch(int rows, boolean withNulls) {
        String[] scenario = new String[rows];
        String[] callIds = new String[rows];
        String[] skip = new String[rows];
        long[] lag = new long[rows];
        long[] ts = new long[rows];
        double[] net = new double[rows];
        boolean[] tradeable = new boolean[rows];
        BitSet lagNulls = new BitSet();
        BitSet netNulls = new BitSet();
        BitSet tradeableNulls = new BitSet();
        for (int row = 0; row < rows; row++) {
            scenario[row] = row % 2 == 1 ? null : "given-" + row;
            callIds[row] = "call-" + row;
            skip[row] = row % 10 == 0 ? "no_candles" : null;
            lag[row] = (long) row * 10;
            ts[row] = 1_767_225_600_000L + row;
            net[row] = row / 100.0;
            tradeable[row] = row % 2 == 0;
            if (withNulls) {
                lagNulls.set(row, row % 3 == 0);
                netNulls.set(row, row % 5 == 0);
                tradeableNulls.set(row, row % 7 == 0);
            }
        }
        List<RowColumn> columns = new ArrayList<>();
        columns.add(new RowColumn.Strings("scenario_id", scenario));
        columns.add(new RowColumn.Strings("call_id", callIds));
        columns.add(new RowColumn.Strings("skip_reason", skip));
        columns.add(new RowColumn.Longs("lag_ms", lag, lagNulls));
        columns.add(new RowColumn.Longs("call_ts", ts, new BitSet()));
        columns.add(new RowColumn.Doubles("net_return", net, netNulls));
        columns.add(new RowColumn.Booleans("tradeable", tradeable, tradeableNulls));
        for (String name : List.of("interval", "overlay_set", "caller", "token", "chain", "exit_reason")) {
            String[] values = new String[rows];
            java.util.Arrays.fill(values, name.equals("interval") ? "1m" : name);
            columns.add(new RowColumn.Strings(name, values));
        }
        for (String name : List.of("entry_ts", "exit_ts", "candles_used")) {
            columns.add(new RowColumn.Longs(name, ts.clone(), new BitSet()));
        }
        for (String name : List.of("entry_px", "exit_px", "gross_return", "fees", "slippage")) {
            columns.add(new RowColumn.Doubles(name, net.clone(), new BitSet()));
        }
        return RowBatch.of(rows, columns);
    }
}
