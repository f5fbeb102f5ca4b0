package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/** What a report says about one run of the sweep (failed runs are listed with their error). */
public record RunSummary(String runId, String scenarioId, String status, String paramsJson, Map<String, Double> summary, String errorMessage) {
    public RunSummary {
        requireNonNull(runId, "runId is null");
        requireNonNull(scenarioId, "scenarioId is null");
        requireNonNull(status, "status is null");
        requireNonNull(paramsJson, "paramsJson is null");
        summary = Map.copyOf(summary);
        requireNonNull(errorMessage, "errorMessage is null");
    }
}
