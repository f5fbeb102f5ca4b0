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
 * @param about versions printed in the report header, in order
 * @param specText the sweep's spec as the client wrote it (empty when not sent)
 * @param facts what the client measured (timings, spawn count, status), printed as sent
 */
public record GenerateReportCommand(String sweepId, String title, List<Path> parquetPaths, List<RunSummary> runs, Map<String, String> about,
        String specText, Map<String, String> facts) {
    public GenerateReportCommand {
        requireNonNull(sweepId, "sweepId is null");
        requireNonNull(title, "title is null");
        requireNonNull(specText, "specText is null");
        parquetPaths = List.copyOf(parquetPaths);
        runs = List.copyOf(runs);
        about = Collections.unmodifiableMap(new LinkedHashMap<>(about));
        facts = Collections.unmodifiableMap(new LinkedHashMap<>(facts));
    }
}
