package io.quantbot.storage.daemon.storage.duckdb;

import io.quantbot.storage.daemon.artifact.ArtifactSchema;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.ContentHash;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Pattern;

/** Computes the qbch1 content hash of a Parquet file by reading it back in hash order through DuckDB. */
final class ParquetContentHasher {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    private ParquetContentHasher() {}

    /** Hash, row count and time range of a Parquet file of a known type. */
    static Summary hash(Connection connection, Path parquet, ArtifactSchema schema) throws SQLException {
        List<ColumnSpec> columns = schema.columns();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(cast(columns.get(i)));
        }
        sql.append(" FROM read_parquet(?) ORDER BY ");
        List<String> order = schema.hashOrder();
        for (int i = 0; i < order.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(identifier(order.get(i))).append(" ASC NULLS LAST");
        }
        int timeColumn = schema.timeColumn().map(schema.columnNames()::indexOf).orElse(-1);
        ContentHash hash = new ContentHash(schema.type(), schema.version(), columns);
        long rows = 0;
        long minTs = Long.MAX_VALUE;
        long maxTs = Long.MIN_VALUE;
        try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
            statement.setString(1, parquet.toString());
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    for (int c = 0; c < columns.size(); c++) {
                        int index = c + 1;
                        switch (hash.kind(c)) {
                            case I64 -> {
                                long value = result.getLong(index);
                                if (result.wasNull()) {
                                    hash.addNull(c);
                                } else {
                                    hash.addLong(c, value);
                                    if (c == timeColumn) {
                                        minTs = Math.min(minTs, value);
                                        maxTs = Math.max(maxTs, value);
                                    }
                                }
                            }
                            case F64 -> {
                                double value = result.getDouble(index);
                                if (result.wasNull()) {
                                    hash.addNull(c);
                                } else {
                                    hash.addDouble(c, value);
                                }
                            }
                            case BOOL -> {
                                boolean value = result.getBoolean(index);
                                if (result.wasNull()) {
                                    hash.addNull(c);
                                } else {
                                    hash.addBoolean(c, value);
                                }
                            }
                            case STR -> {
                                String value = result.getString(index);
                                if (value == null) {
                                    hash.addNull(c);
                                } else {
                                    hash.addString(c, value);
                                }
                            }
                        }
                    }
                    hash.endRow();
                    rows++;
                }
            }
        }
        return new Summary(hash.finish(), rows, rows == 0 || timeColumn < 0 ? 0 : minTs, rows == 0 || timeColumn < 0 ? 0 : maxTs);
    }

    record Summary(String contentHash, long rowCount, long minTsMs, long maxTsMs) {}

    private static String cast(ColumnSpec column) {
        String name = identifier(column.name());
        return switch (ContentHash.Kind.ofDuckDbType(column.type())) {
            case I64 -> column.type().toUpperCase(java.util.Locale.ROOT).startsWith("TIMESTAMP") ? "epoch_ms(" + name + ")" : "CAST(" + name + " AS BIGINT)";
            case F64 -> "CAST(" + name + " AS DOUBLE)";
            case BOOL -> name;
            case STR -> "CAST(" + name + " AS VARCHAR)";
        };
    }

    /** Column names come from the known schemas; anything else is refused rather than spliced into SQL. */
    static String identifier(String name) {
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("not a plain column name: " + name);
        }
        return "\"" + name + "\"";
    }
}
