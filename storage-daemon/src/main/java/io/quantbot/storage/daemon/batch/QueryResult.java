package io.quantbot.storage.daemon.batch;

import java.util.List;
import java.util.Optional;

/**
 * Rows of a query: exactly one of {@code jsonRows} (a JSON array of objects) and {@code arrowIpc} (an
 * Arrow IPC stream), as the command asked.
 *
 * @param truncated more rows existed than the row limit
 */
public record QueryResult(
        List<ColumnInfo> columns, long rowCount, boolean truncated, Optional<String> jsonRows, Optional<byte[]> arrowIpc) {
    public QueryResult {
        columns = List.copyOf(columns);
        if (jsonRows.isPresent() == arrowIpc.isPresent()) {
            throw new IllegalArgumentException("a query result holds either JSON rows or Arrow IPC data");
        }
    }
}
