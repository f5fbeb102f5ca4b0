package io.quantbot.storage.daemon.run;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A chunk of result rows by column; every column has rowCount values. Columns absent from the chunk are NULL (or defaulted). */
public record RowBatch(int rowCount, Map<String, RowColumn> columns) {
    public RowBatch {
        columns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    }

    public static RowBatch of(int rowCount, List<RowColumn> columns) {
        Map<String, RowColumn> byName = new LinkedHashMap<>();
        for (RowColumn column : columns) {
            byName.put(column.name(), column);
        }
        return new RowBatch(rowCount, byName);
    }

    public Optional<RowColumn> column(String name) {
        return Optional.ofNullable(columns.get(name));
    }
}
