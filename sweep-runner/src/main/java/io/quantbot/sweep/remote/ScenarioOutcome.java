package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How one scenario (one run) of a sweep ended in this invocation.
 *
 * @param runId the run, empty if it could not even be created
 * @param rows rows the daemon holds for the run
 * @param resumed the run existed already (an earlier, interrupted invocation created it); its committed
 *     chunks were not sent again
 * @param error why it failed, empty when it succeeded
 */
public record ScenarioOutcome(String scenarioId, Optional<String> runId, long rows, long tradeable,
        OptionalDouble meanNetReturn, boolean resumed, Duration elapsed, Optional<String> error) {
    public ScenarioOutcome {
        requireNonNull(scenarioId, "scenarioId is null");
        requireNonNull(runId, "runId is null");
        requireNonNull(meanNetReturn, "meanNetReturn is null");
        requireNonNull(elapsed, "elapsed is null");
        requireNonNull(error, "error is null");
    }

    public boolean succeeded() {
        return error.isEmpty();
    }
}
