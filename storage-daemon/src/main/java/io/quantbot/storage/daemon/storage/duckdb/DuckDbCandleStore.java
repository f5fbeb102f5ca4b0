package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.candles.CandleSeries;
import io.quantbot.storage.daemon.candles.CandleStore;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;

/** Reads a series from an ohlcv_slice Parquet file through a DuckDB read connection. */
@Singleton
public final class DuckDbCandleStore implements CandleStore {
    private static final String SELECT = """
            SELECT ts, open, high, low, close, volume FROM read_parquet(?)
            WHERE token = ? AND chain = ? AND interval = ? ORDER BY ts""";

    private final ReaderConnections readers;
    private final LakeCatalog catalog;

    @Inject
    public DuckDbCandleStore(ReaderConnections readers, LakeCatalog catalog) {
        this.readers = requireNonNull(readers, "readers is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
    }

    @Override
    public CandleSeries load(ArtifactRecord artifact, String token, String chain, String interval) {
        // Checked before the read: a file that no longer matches its catalog hash is not served (DATA_LOSS).
        String file = catalog.localFile(artifact).toString();
        try {
            return readers.read(connection -> {
                try (PreparedStatement statement = connection.prepareStatement(SELECT)) {
                    statement.setString(1, file);
                    statement.setString(2, token);
                    statement.setString(3, chain);
                    statement.setString(4, interval);
                    int capacity = (int) Math.max(16, Math.min(artifact.rowCount(), 1 << 24));
                    long[] ts = new long[capacity];
                    double[][] values = new double[5][capacity];
                    int n = 0;
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            if (n == ts.length) {
                                ts = Arrays.copyOf(ts, n * 2);
                                for (int v = 0; v < 5; v++) {
                                    values[v] = Arrays.copyOf(values[v], n * 2);
                                }
                            }
                            ts[n] = rows.getLong(1);
                            for (int v = 0; v < 5; v++) {
                                values[v][n] = rows.getDouble(v + 2);
                            }
                            n++;
                        }
                    }
                    return new CandleSeries(Arrays.copyOf(ts, n), Arrays.copyOf(values[0], n), Arrays.copyOf(values[1], n),
                            Arrays.copyOf(values[2], n), Arrays.copyOf(values[3], n), Arrays.copyOf(values[4], n));
                }
            });
        } catch (SQLException e) {
            throw new IllegalStateException("reading candles from artifact " + artifact.id() + " failed: " + e.getMessage(), e);
        }
    }
}
