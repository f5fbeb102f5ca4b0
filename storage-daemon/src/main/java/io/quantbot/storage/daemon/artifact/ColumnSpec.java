package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

/** A column name and its DuckDB type, e.g. ("ts", "BIGINT"). */
public record ColumnSpec(String name, String type) {
    public ColumnSpec {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
    }
}
