package io.quantbot.storage.daemon.storage.duckdb;

import io.quantbot.storage.daemon.storage.LakeFiles;
import io.quantbot.storage.daemon.artifact.ArtifactSchema;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.artifact.Provenance;
import io.quantbot.storage.daemon.artifact.Registration;
import io.quantbot.storage.daemon.artifact.StagedArtifact;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Publishes artifacts straight into a test daemon's catalog (as the worker pool would after writing them to staging). */
public final class LakeFixtures {
    private LakeFixtures() {}

    /** One candle: ts, open, high, low, close, volume. */
    public record Candle(long ts, double open, double high, double low, double close, double volume) {}

    public static Registration publishCandles(TestingStorageDaemon daemon, String snapshot, String token, String chain, String interval,
            List<Candle> candles) throws Exception {
        return daemon.getInstance(LakeCatalog.class).register(stageCandles(daemon, snapshot, token, chain, interval, candles)).join();
    }

    /** The candles written to a Parquet file in the daemon's staging folder, ready to register (not registered). */
    public static StagedArtifact stageCandles(TestingStorageDaemon daemon, String snapshot, String token, String chain, String interval,
            List<Candle> candles) throws Exception {
        Path staging = daemon.getInstance(DatabaseConfig.class).stagingDir();
        Path file = staging.resolve("fixture-" + UUID.randomUUID() + ".parquet");
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
                var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE c (token VARCHAR, chain VARCHAR, interval VARCHAR, ts BIGINT, open DOUBLE, high DOUBLE, low DOUBLE, "
                    + "close DOUBLE, volume DOUBLE)");
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO c VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Candle candle : candles) {
                    insert.setString(1, token);
                    insert.setString(2, chain);
                    insert.setString(3, interval);
                    insert.setLong(4, candle.ts());
                    insert.setDouble(5, candle.open());
                    insert.setDouble(6, candle.high());
                    insert.setDouble(7, candle.low());
                    insert.setDouble(8, candle.close());
                    insert.setDouble(9, candle.volume());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            statement.execute("COPY (SELECT * FROM c ORDER BY ts) TO '" + file + "' (FORMAT PARQUET)");
            ArtifactSchema schema = ArtifactTypes.OHLCV_SLICE;
            ParquetContentHasher.Summary summary = ParquetContentHasher.hash(connection, file, schema);
            StagedArtifact staged = new StagedArtifact(file, "parquet", schema.type(), schema.version(),
                    "snapshot=" + snapshot + "/chain=" + chain + "/token=" + token + "/res=" + interval, LakeFiles.sha256(file),
                    summary.contentHash(), summary.rowCount(), Files.size(file), summary.minTsMs(), summary.maxTsMs(), schema.columns(),
                    Map.of("snapshot", snapshot, "token", token, "chain", chain, "interval", interval), List.of(),
                    new Provenance("test-fixture", "1", "{}"), false);
            return staged;
        }
    }

    /** Minute candles starting at startMs with a simple deterministic walk. */
    public static List<Candle> minuteCandles(long startMs, int count) {
        java.util.ArrayList<Candle> candles = new java.util.ArrayList<>(count);
        double price = 1.0;
        for (int i = 0; i < count; i++) {
            double open = price;
            double close = price * (1 + ((i * 7919) % 13 - 6) / 1000.0);
            double high = Math.max(open, close) * 1.002;
            double low = Math.min(open, close) * 0.998;
            candles.add(new Candle(startMs + i * 60_000L, open, high, low, close, 100 + i % 17));
            price = close;
        }
        return candles;
    }
}
