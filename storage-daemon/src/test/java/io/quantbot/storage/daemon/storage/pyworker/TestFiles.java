package io.quantbot.storage.daemon.storage.pyworker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Small, valid input files for the workers: candle and call CSVs, run_results and ohlcv Parquet written with DuckDB JDBC. */
final class TestFiles {
    static final String CANDLE_HEADER = "token,chain,interval,ts,open,high,low,close,volume";
    static final String CALL_HEADER = "call_id,caller,token,chain,ts,price";
    static final String SOL = "So11111111111111111111111111111111111111112";
    static final String BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263";
    static final String PEPE = "0x6982508145454Ce325dDbE47a25d4ec3d2311933";
    static final long START = 1_700_000_000_000L;

    private TestFiles() {}

    /** Valid OHLC rows: high above max(open, close), low below min(open, close). */
    static List<String> candleRows(String token, String chain, String interval, int count, long step) {
        List<String> rows = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double open = 1 + 0.01 * ((i * 7) % 5 - 2);
            double close = 1 + 0.01 * ((i * 3) % 5 - 2);
            double high = Math.max(open, close) * 1.01;
            double low = Math.min(open, close) * 0.99;
            rows.add(String.format(Locale.ROOT, "%s,%s,%s,%d,%.6f,%.6f,%.6f,%.6f,%d",
                    token, chain, interval, START + i * step, open, high, low, close, 1000 + i));
        }
        return rows;
    }

    static Path writeCsv(Path file, String header, List<String> rows) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder text = new StringBuilder(header).append('\n');
        rows.forEach(row -> text.append(row).append('\n'));
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Three series (SOL 1m and 5m, PEPE 1m: 110 candles) and three calls. */
    static Path snapshot(Path folder) throws IOException {
        writeCsv(folder.resolve("candles/sol_1m.csv"), CANDLE_HEADER, candleRows(SOL, "solana", "1m", 50, 60_000));
        writeCsv(folder.resolve("candles/sol_5m.csv"), CANDLE_HEADER, candleRows(SOL, "solana", "5m", 20, 300_000));
        writeCsv(folder.resolve("candles/pepe_1m.csv"), CANDLE_HEADER, candleRows(PEPE, "ethereum", "1m", 40, 60_000));
        writeCsv(folder.resolve("calls.csv"), CALL_HEADER, List.of(
                "c1,alice," + SOL + ",solana," + (START + 60_000) + ",1.01",
                "c2,bob," + PEPE + ",ethereum," + START + ",",
                "c3,alice," + BONK + ",solana," + (START + 120_000) + ",0.00002"));
        return folder;
    }

    /** A sealed run_results file: 2 overlays x 2 lags x 2 intervals x 12 calls, every 7th call skipped. */
    static Path runResults(Path file, String sweepId) throws IOException, SQLException {
        Files.createDirectories(file.getParent());
        copy("""
                SELECT 'run-' || o || '-' || lag || '-' || iv AS run_id, '%s' AS sweep_id, o || '-' || lag || '-' || iv AS scenario_id,
                       iv AS interval, lag::BIGINT AS lag_ms, o AS overlay_set, 'call-' || c AS call_id,
                       ['alice', 'bob', 'carol'][c %% 3 + 1] AS caller, '%s' AS token, 'solana' AS chain,
                       (%d + c * 3600000)::BIGINT AS call_ts,
                       CASE WHEN c %% 7 <> 6 THEN (%d + c * 3600000 + lag)::BIGINT END AS entry_ts,
                       CASE WHEN c %% 7 <> 6 THEN 1.0 END AS entry_px,
                       CAST(NULL AS BIGINT) AS exit_ts, CAST(NULL AS DOUBLE) AS exit_px,
                       CASE WHEN c %% 7 <> 6 THEN 'time_exit' END AS exit_reason,
                       CASE WHEN c %% 7 <> 6 THEN net + 0.008 END AS gross_return,
                       CASE WHEN c %% 7 <> 6 THEN net END AS net_return,
                       CASE WHEN c %% 7 <> 6 THEN 6.0 END AS fees, CASE WHEN c %% 7 <> 6 THEN 2.0 END AS slippage,
                       (CASE WHEN c %% 7 <> 6 THEN 30 ELSE 0 END)::BIGINT AS candles_used, c %% 7 <> 6 AS tradeable,
                       CASE WHEN c %% 7 = 6 THEN 'no_candles' END AS skip_reason
                FROM (SELECT *, (CASE WHEN o = 'tp_sl' THEN 0.02 ELSE -0.01 END) - lag / 1e6 + ((c * 5) %% 9 - 4) * 0.01
                                + (CASE WHEN iv = '5m' THEN 0.003 ELSE 0 END) AS net
                      FROM (VALUES ('tp_sl'), ('trail')) o(o), (VALUES (0), (5000)) l(lag), (VALUES ('1m'), ('5m')) i(iv),
                           range(12) r(c))
                """.formatted(sweepId, SOL, START, START), file);
        return file;
    }

    /** An ohlcv_slice-shaped Parquet file of {@code rows} one-minute candles of one token. */
    static Path candlesParquet(Path file, int rows) throws IOException, SQLException {
        Files.createDirectories(file.getParent());
        copy("""
                SELECT '%s' AS token, 'solana' AS chain, '1m' AS interval, (%d + i * 60000)::BIGINT AS ts,
                       1.0 + (i %% 10) / 100 AS open, 1.2 + (i %% 10) / 100 AS high, 0.9 + (i %% 10) / 100 AS low,
                       1.1 + (i %% 10) / 100 AS close, (1000 + i)::DOUBLE AS volume
                FROM range(%d) r(i)
                """.formatted(SOL, START, rows), file);
        return file;
    }

    private static void copy(String select, Path file) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = connection.createStatement()) {
            statement.execute("COPY (" + select + ") TO '" + file.toString().replace("'", "''") + "' (FORMAT PARQUET)");
        }
    }
}
