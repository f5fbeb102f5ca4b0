package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A known artifact type: canonical columns, sort key and time column (docs/artifacts.md). */
public record ArtifactSchema(String type, int version, List<ColumnSpec> columns, List<String> sortKey, Optional<String> timeColumn) {
    public ArtifactSchema {
        requireNonNull(type, "type is null");
        columns = List.copyOf(columns);
        sortKey = List.copyOf(sortKey);
        requireNonNull(timeColumn, "timeColumn is null");
    }

    /** Sort key, then every remaining canonical column: the order rows are hashed and written in. */
    public List<String> hashOrder() {
        List<String> order = new ArrayList<>(sortKey);
        for (ColumnSpec column : columns) {
            if (!order.contains(column.name())) {
                order.add(column.name());
            }
        }
        return order;
    }

    public List<String> columnNames() {
        return columns.stream().map(ColumnSpec::name).toList();
    }
}
