package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.ArtifactClient;
import io.quantbot.storage.client.CancelledException;
import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.RunRowsWriter;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.UnauthenticatedException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.ScenarioSummary;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upload side of a remote sweep, one scenario at a time per uploader thread: create (or find) the scenario's
 * run with its idempotency key, send the chunks it lacks, finish it (DEFER, or SWEEP to seal), record the StatePort
 * checkpoint, and print the scenario's line. Failures of one scenario become its outcome; losing the daemon and
 * interrupts are thrown.
 */
final class ScenarioUploader {
    private static final Logger log = LoggerFactory.getLogger(ScenarioUploader.class);
    private static final int MAX_ATTEMPTS = 20;

    private final ArtifactClient artifacts;
    private final SweepCheckpoints checkpoints;
    private final SweepSpec spec;
    private final String alertsArtifactId;
    private final RunParams params;
    private final Clock clock;
    private final SweepCalls calls;
    private final SweepListener listener;
    private final ProgressReporter progress;
    private final List<ScenarioOutcome> outcomes = new ArrayList<>();
    private final AtomicLong backtests = new AtomicLong();
    private final AtomicBoolean stopped = new AtomicBoolean();
    /** System.nanoTime() when the last scenario's rows were all committed. */
    private final AtomicLong lastRowsCommitted = new AtomicLong(Long.MIN_VALUE);
    /** FinishRun calls with SWEEP that sealed the sweep's finished runs. */
    private final AtomicInteger seals = new AtomicInteger();
    private final PhaseTimings timings;
    private final int scenarios;
    private final int width;

    ScenarioUploader(ArtifactClient artifacts, SweepCheckpoints checkpoints, SweepSpec spec, String alertsArtifactId, RunParams params,
            Clock clock, SweepCalls calls, SweepListener listener, ProgressReporter progress, int scenarios, PhaseTimings timings) {
        this.artifacts = requireNonNull(artifacts, "artifacts is null");
        this.checkpoints = requireNonNull(checkpoints, "checkpoints is null");
        this.spec = requireNonNull(spec, "spec is null");
        this.alertsArtifactId = requireNonNull(alertsArtifactId, "alertsArtifactId is null");
        this.params = requireNonNull(params, "params is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.calls = calls;
        this.timings = timings;
        this.listener = listener;
        this.progress = progress;
        this.scenarios = scenarios;
        this.width = Integer.toString(scenarios).length();
    }

    void stop() {
        stopped.set(true);
    }

    /** System.nanoTime() when the last scenario's rows were all committed (Long.MIN_VALUE before any). */
    long lastRowsCommitted() {
        return lastRowsCommitted.get();
    }

    /** FinishRun calls with SWEEP that sealed the sweep's finished runs. */
    int seals() {
        return seals.get();
    }

    /** Backtests (rows) of the scenarios uploaded. */
    long backtests() {
        return backtests.get();
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%+.2f%%", fraction * 100);
    }

    synchronized List<ScenarioOutcome> outcomes() {
        return List.copyOf(outcomes);
    }

    /**
     * Creates (or finds) the run, sends what it lacks, finishes it and records the checkpoint. Failures of
     * the scenario are returned as an outcome; losing the daemon and interrupts are thrown.
     */
    ScenarioOutcome upload(ScenarioResults results, SealMode sealMode) throws InterruptedException {
        Scenario scenario = results.scenario();
        long start = System.nanoTime();
        checkNotStopped(scenario);
        ScenarioSummary summary = results.summary();
        OptionalDouble mean = Double.isNaN(summary.meanNetReturn()) ? OptionalDouble.empty()
                : OptionalDouble.of(summary.meanNetReturn());
        Optional<String> runId = Optional.empty();
        boolean resumed = false;
        try {
            long phase = System.nanoTime();
            Run run = createRun(scenario);
            phase = timings.add(Phase.CREATE, phase);
            runId = Optional.of(run.getRunId());
            resumed = run.getCommittedChunkSeq() > 0 || run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED;
            long rows = run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED ? run.getRowCount() : sendRows(run, results);
            phase = timings.add(Phase.ROWS, phase);
            long committedAt = phase;
            lastRowsCommitted.accumulateAndGet(committedAt, Math::max);
            if (rows != calls.size()) {
                throw new IllegalStateException("the daemon holds " + rows + " rows for run " + run.getRunId()
                        + ", expected " + calls.size() + " (one per call)");
            }
            if (run.getStatus() != RunStatus.RUN_STATUS_SUCCEEDED) {
                checkNotStopped(scenario);
                finishRun(FinishRunRequest.newBuilder()
                        .setRunId(run.getRunId())
                        .setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                        .putAllSummary(summary.metrics())
                        .setSeal(sealMode)
                        .build());
                if (sealMode == SealMode.SEAL_MODE_SWEEP) {
                    seals.incrementAndGet();
                }
            }
            phase = timings.add(sealMode == SealMode.SEAL_MODE_SWEEP ? Phase.FINISH_AND_SEAL : Phase.FINISH, phase);
            checkpoints.record(spec.sweepId(), new SweepCheckpoints.Checkpoint(scenario.id(), run.getRunId(), rows,
                    summary.tradeable(), mean), clock.millis());
            timings.add(Phase.CHECKPOINT, phase);
            ScenarioOutcome outcome = new ScenarioOutcome(scenario.id(), runId, rows, summary.tradeable(), mean, resumed,
                    Duration.ofNanos(System.nanoTime() - start), Optional.empty());
            backtests.addAndGet(rows);
            mean.ifPresent(value -> progress.offerBest(scenario.id(), value, percent(value)));
            progress.advance(calls.size());
            return finished(outcome);
        }
        catch (UnavailableException | UnauthenticatedException | PermissionDeniedException e) {
            // The daemon is gone or refuses this token: every later scenario would fail the same way.
            throw e;
        }
        catch (CancelledException e) {
            if (stopped.get() || Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("sweep stopped during " + scenario.id());
            }
            return failed(scenario, runId, resumed, start, e, sealMode);
        }
        catch (StorageException | IllegalStateException | IllegalArgumentException e) {
            return failed(scenario, runId, resumed, start, e, sealMode);
        }
    }

    /**
     * FinishRun, under no lock: two waves' seals (SWEEP) may be in flight at once. The daemon claims each run
     * before sealing it, so concurrent seals of one sweep seal every run exactly once (its RunsContract
     * concurrentSweepSealsSealEveryRunExactlyOnce); a slow seal holds up only its own uploader thread.
     */
    private void finishRun(FinishRunRequest request) {
        artifacts.finishRun(request);
    }

    private void checkNotStopped(Scenario scenario) throws InterruptedException {
        if (stopped.get() || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("sweep stopped before " + scenario.id() + " was finished");
        }
    }

    private ScenarioOutcome failed(Scenario scenario, Optional<String> runId, boolean resumed, long start,
            RuntimeException error, SealMode sealMode) {
        String message = error.getMessage() == null ? error.toString() : error.getMessage();
        log.debug("scenario {} failed", scenario.id(), error);
        if (runId.isPresent()) {
            try {
                finishRun(FinishRunRequest.newBuilder()
                        .setRunId(runId.get())
                        .setStatus(RunStatus.RUN_STATUS_FAILED)
                        .setErrorMessage(message.length() > 8_000 ? message.substring(0, 8_000) : message)
                        .setSeal(sealMode)
                        .build());
                if (sealMode == SealMode.SEAL_MODE_SWEEP) {
                    seals.incrementAndGet();
                }
            }
            catch (UnavailableException lost) {
                throw lost;
            }
            catch (StorageException secondFailure) {
                log.warn("could not mark run {} of {} FAILED: {}", runId.get(), scenario.id(), secondFailure.getMessage());
            }
        }
        return finished(new ScenarioOutcome(scenario.id(), runId, 0, 0, OptionalDouble.empty(), resumed,
                Duration.ofNanos(System.nanoTime() - start), Optional.of(message)));
    }

    private ScenarioOutcome finished(ScenarioOutcome outcome) {
        int number;
        synchronized (this) {
            outcomes.add(outcome);
            number = outcomes.size();
        }
        progress.println(line(number, outcome));
        listener.scenarioFinished(outcome);
        return outcome;
    }

    /** {@code [ 12/96] ok     i=1m/lag=0s/ov=tp50_sl20  2,000 rows  mean +1.23%  run_…  0.21 s}. */
    private String line(int number, ScenarioOutcome outcome) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%" + width + "d/%d] ", number, scenarios));
        if (outcome.succeeded()) {
            line.append(String.format(Locale.ROOT, "ok      %s  %,d rows  mean %s  %s  %.2f s%s", outcome.scenarioId(),
                    outcome.rows(), outcome.meanNetReturn().isPresent() ? percent(outcome.meanNetReturn().getAsDouble()) : "-",
                    outcome.runId().orElse("-"), outcome.elapsed().toNanos() / 1e9, outcome.resumed() ? "  (resumed)" : ""));
        }
        else {
            line.append("FAILED  ").append(outcome.scenarioId()).append(": ").append(outcome.error().orElse(""));
        }
        return line.toString();
    }

    /** The scenario's run: created now, or the RUNNING/SUCCEEDED one an earlier invocation created. */
    private Run createRun(Scenario scenario) {
        String baseKey = SweepCheckpoints.key(spec.sweepId(), scenario.id());
        String runParams = params.of(scenario);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            String key = attempt == 1 ? baseKey : baseKey + "#" + attempt;
            Run run = artifacts.createRun(CreateRunRequest.newBuilder()
                    .setSweepId(spec.sweepId())
                    .setScenarioId(scenario.id())
                    .setParamsJson(runParams)
                    .addInputArtifactIds(alertsArtifactId)
                    .setIdempotencyKey(key)
                    .build()).getRun();
            if (!run.getSweepId().equals(spec.sweepId()) || !run.getScenarioId().equals(scenario.id())) {
                throw new IllegalStateException("idempotency key " + key + " belongs to run " + run.getRunId() + " of "
                        + run.getSweepId() + "/" + run.getScenarioId());
            }
            if (run.getStatus() == RunStatus.RUN_STATUS_RUNNING || run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED) {
                return run;
            }
            // FAILED or CANCELLED by an earlier invocation: a new attempt gets a new run.
        }
        throw new IllegalStateException("scenario " + scenario.id() + " failed " + MAX_ATTEMPTS
                + " times before; not trying again");
    }

    /** Streams the chunks after the run's committed chunk sequence; returns the run's row count. */
    private long sendRows(Run run, ScenarioResults results) throws InterruptedException {
        int chunkRows = spec.chunkRows();
        int chunkCount = results.chunkCount(chunkRows);
        long committed = run.getCommittedChunkSeq();
        if (committed > chunkCount) {
            throw new IllegalStateException("run " + run.getRunId() + " has " + committed + " chunks committed but the "
                    + "scenario makes only " + chunkCount + "; was the sweep file changed under the same sweep id?");
        }
        if (committed == chunkCount) {
            return run.getRowCount();
        }
        try (RunRowsWriter writer = artifacts.newRunRowsWriter(run.getRunId(), committed + 1)) {
            for (int sequence = (int) committed; sequence < chunkCount; sequence++) {
                // Closing the writer unfinished cancels the stream; the daemon keeps the chunks it committed.
                checkNotStopped(results.scenario());
                writer.write(RowChunks.of(results.chunk(sequence, chunkRows)));
            }
            AppendRunRowsResponse response = writer.finish();
            return response.getRunRowCount();
        }
    }
}
