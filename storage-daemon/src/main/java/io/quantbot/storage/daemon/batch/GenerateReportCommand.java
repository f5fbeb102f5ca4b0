package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HTML report of a sweep.
 *
 * @param parquetPaths the sweep's sealed run_results files (absolute)
 * @param about facts printed in the report header (versions, spec), in order
 */
public record GenerateReportCommand(String sweepId, String title, List<Path> parquetPaths, List<RunSummary> runs, Map<String, String> about) {
    public GenerateReportCommand {
        requireNonNull(sweepId, "sweepId is null");
        requireNonNull(title, "title is null");
        parquetPaths = List.copyOf(parquetPaths);
        runs = List.copyOf(runs);
        about = Collections.unmodifiableMap(new LinkedHashMap<>(about));
    }
}
