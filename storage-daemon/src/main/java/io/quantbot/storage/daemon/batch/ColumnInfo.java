package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

/** A column of an artifact or a query result: name and DuckDB type name (VARCHAR, BIGINT, DOUBLE, ...). */
public record ColumnInfo(String name, String type) {
    public ColumnInfo {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
    }
}
