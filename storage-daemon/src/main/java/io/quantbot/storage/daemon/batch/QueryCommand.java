package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One read-only SELECT over views.
 *
 * @param views view name ([a-z_][a-z0-9_]{0,62}) → the absolute Parquet files unioned into it, in order
 * @param rowLimit at most this many rows come back (0 = the engine's default of 10,000)
 */
public record QueryCommand(String sql, Map<String, List<Path>> views, QueryFormat format, long rowLimit) {
    public QueryCommand {
        requireNonNull(sql, "sql is null");
        requireNonNull(format, "format is null");
        Map<String, List<Path>> copy = new LinkedHashMap<>();
        views.forEach((name, paths) -> copy.put(requireNonNull(name, "view name is null"), List.copyOf(paths)));
        views = Collections.unmodifiableMap(copy);
    }
}
