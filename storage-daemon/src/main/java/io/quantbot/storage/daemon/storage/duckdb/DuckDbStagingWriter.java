package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.LakeFiles;
import io.quantbot.storage.daemon.batch.StagingWriter;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RowColumn;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes streamed client data into staging. Row chunks go through a private in-memory DuckDB (never the
 * daemon's database) into a Parquet file with exact column types; Arrow IPC pieces are written as is.
 */
@Singleton
public final class DuckDbStagingWriter implements StagingWriter {
    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private final Path stagingDir;

    @Inject
    public DuckDbStagingWriter(DatabaseConfig config) {
        this.stagingDir = requireNonNull(config, "config is null").stagingDir();
    }

    @Override
    public Path writeRows(List<RowBatch> chunks) {
        if (chunks.isEmpty()) {
            throw invalid("rows", "the stream carried no rows");
        }
        Map<String, RowColumn> first = chunks.get(0).columns();
        StringBuilder create = new StringBuilder("CREATE TABLE rows (");
        int index = 0;
        for (RowColumn column : first.values()) {
            if (!COLUMN.matcher(column.name()).matches()) {
                throw invalid("rows.columns", "column name '" + column.name() + "' must match [A-Za-z_][A-Za-z0-9_]{0,62}");
            }
            create.append(index++ == 0 ? "" : ", ").append('"').append(column.name()).append("\" ").append(typeOf(column));
        }
        create.append(')');
        for (RowBatch chunk : chunks) {
            if (!chunk.columns().keySet().equals(first.keySet())) {
                throw invalid("rows.columns", "every chunk of a publish must have the same columns: " + first.keySet() + " vs " + chunk.columns().keySet());
            }
            for (RowColumn column : chunk.columns().values()) {
                if (column.size() != chunk.rowCount()) {
                    throw invalid("rows.columns." + column.name(), "column '" + column.name() + "' has " + column.size() + " values for "
                            + chunk.rowCount() + " rows");
                }
                if (!typeOf(column).equals(typeOf(first.get(column.name())))) {
                    throw invalid("rows.columns." + column.name(), "column '" + column.name() + "' changes type between chunks");
                }
            }
        }
        Path temporary = stagingDir.resolve("publish-" + UUID.randomUUID() + ".parquet.tmp");
        Path staged = stagingDir.resolve(temporary.getFileName().toString().replace(".tmp", ""));
        try (DuckDBConnection connection = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = connection.createStatement()) {
            statement.execute(create.toString());
            try (DuckDBAppender appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "rows")) {
                for (RowBatch chunk : chunks) {
                    RowColumn[] columns = chunk.columns().values().toArray(RowColumn[]::new);
                    for (int row = 0; row < chunk.rowCount(); row++) {
                        appender.beginRow();
                        for (RowColumn column : columns) {
                            if (column.isNull(row)) {
                                appender.appendNull();
                            } else if (column instanceof RowColumn.Strings strings) {
                                appender.append(strings.values()[row]);
                            } else if (column instanceof RowColumn.Longs longs) {
                                appender.append(longs.values()[row]);
                            } else if (column instanceof RowColumn.Doubles doubles) {
                                appender.append(doubles.values()[row]);
                            } else {
                                appender.append(((RowColumn.Booleans) column).values()[row]);
                            }
                        }
                        appender.endRow();
                    }
                }
            }
            statement.execute("COPY rows TO '" + temporary.toString().replace("'", "''") + "' (FORMAT PARQUET, COMPRESSION ZSTD)");
            LakeFiles.fsync(temporary);
            Files.move(temporary, staged, StandardCopyOption.ATOMIC_MOVE);
            return staged;
        } catch (SQLException e) {
            discard(temporary);
            throw new IllegalStateException("writing the streamed rows to staging failed: " + e.getMessage(), e);
        } catch (IOException e) {
            discard(temporary);
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Path writeArrow(InputStream pieces) {
        Path temporary = stagingDir.resolve("publish-" + UUID.randomUUID() + ".arrow.tmp");
        Path staged = stagingDir.resolve(temporary.getFileName().toString().replace(".tmp", ""));
        try {
            Files.copy(pieces, temporary);
            LakeFiles.fsync(temporary);
            Files.move(temporary, staged, StandardCopyOption.ATOMIC_MOVE);
            return staged;
        } catch (IOException e) {
            discard(temporary);
            throw new UncheckedIOException("writing the streamed Arrow data to staging failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void discard(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: staging is cleaned at start
        }
    }

    private static String typeOf(RowColumn column) {
        if (column instanceof RowColumn.Longs) {
            return "BIGINT";
        }
        if (column instanceof RowColumn.Doubles) {
            return "DOUBLE";
        }
        if (column instanceof RowColumn.Booleans) {
            return "BOOLEAN";
        }
        return "VARCHAR";
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ROWS, message).violation(field, message).build();
    }
}
