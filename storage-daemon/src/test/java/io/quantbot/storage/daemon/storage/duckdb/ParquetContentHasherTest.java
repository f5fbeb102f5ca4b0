package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java qbch1 hash agrees with the value docs/artifacts.md pins (and the Python worker's tests pin). */
class ParquetContentHasherTest {
    /** docs/artifacts.md: the two-row ohlcv_slice example. */
    static final String KNOWN_OHLCV_HASH = "7ae973e64db4d9540bf3217e22aee4e7e018b72f8420d8a127aa21273f46eaf1";

    @TempDir
    Path dir;

    @Test
    void knownOhlcvSliceHashWhateverTheRowOrderAndFile() throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
            Path inOrder = dir.resolve("a.parquet");
            Path reversed = dir.resolve("b.parquet");
            write(connection, inOrder, "60000, 1.0, 2.0, 0.5, 1.5, 100.0", "0, 1.0, 1.0, 1.0, 1.0, 0.0");
            write(connection, reversed, "0, 1.0, 1.0, 1.0, 1.0, 0.0", "60000, 1.0, 2.0, 0.5, 1.5, 100.0");
            ParquetContentHasher.Summary first = ParquetContentHasher.hash(connection, inOrder, ArtifactTypes.OHLCV_SLICE);
            ParquetContentHasher.Summary second = ParquetContentHasher.hash(connection, reversed, ArtifactTypes.OHLCV_SLICE);
            assertThat(first.contentHash()).isEqualTo(KNOWN_OHLCV_HASH);
            assertThat(second.contentHash()).isEqualTo(KNOWN_OHLCV_HASH);
            assertThat(first.rowCount()).isEqualTo(2);
            assertThat(first.minTsMs()).isZero();
            assertThat(first.maxTsMs()).isEqualTo(60_000);
        }
    }

    @Test
    void differentContentGivesADifferentHash() throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
            Path changed = dir.resolve("c.parquet");
            write(connection, changed, "60000, 1.0, 2.0, 0.5, 1.5, 100.5", "0, 1.0, 1.0, 1.0, 1.0, 0.0");
            assertThat(ParquetContentHasher.hash(connection, changed, ArtifactTypes.OHLCV_SLICE).contentHash()).isNotEqualTo(KNOWN_OHLCV_HASH);
        }
    }

    private static void write(Connection connection, Path file, String... rows) throws Exception {
        StringBuilder values = new StringBuilder();
        for (String row : rows) {
            values.append(values.length() == 0 ? "" : ", ")
                    .append("('So11111111111111111111111111111111111111112', 'solana', '1m', ").append(row).append(")");
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("COPY (SELECT * FROM (VALUES " + values + ") AS t(token, chain, interval, ts, open, high, low, close, volume)) TO '"
                    + file + "' (FORMAT PARQUET)");
        }
    }
}
