package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.ArtifactClient;
import io.quantbot.storage.client.CancelledException;
import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.ResourceExhaustedException;
import io.quantbot.storage.client.RunRowsWriter;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.StorageExceptions;
import io.quantbot.storage.client.UnauthenticatedException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.FinishRunResult;
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
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upload side of a remote sweep, in batches of scenarios ({@link WaveUpload} drives it): create (or find) the runs
 * of a batch with their idempotency keys in one BatchCreateRuns, send each run the chunks it lacks (one AppendRunRows
 * stream per run), finish the runs in one BatchFinishRuns (DEFER), record their StatePort checkpoints in one BatchSet,
 * and print each scenario's line; the batch's sealing run is finished alone with SWEEP once the others are recorded.
 * Failures of one scenario become its outcome; losing the daemon and interrupts are thrown.
 */
final class ScenarioUploader {
    private static final Logger log = LoggerFactory.getLogger(ScenarioUploader.class);
    private static final int MAX_ATTEMPTS = 20;
    private static final int OWNER_WAIT_MINUTES = 10;
    /** Runs per BatchCreateRuns / BatchFinishRuns at most; a daemon with a smaller runs.max-batch says so and is followed. */
    static final int MAX_BATCH = 500;

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
    /** Items per batch call: MAX_BATCH, or the daemon's runs.max-batch once it refused a bigger batch. */
    private final AtomicInteger batchLimit = new AtomicInteger(MAX_BATCH);
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

    /** One scenario of a batch on its way: its run once created, its rows once sent, or why it failed. */
    static final class Upload {
        final ScenarioResults results;
        final long start = System.nanoTime();
        Run run;
        boolean resumed;
        long rows = -1;
        String error;

        Upload(ScenarioResults results) {
            this.results = results;
        }

        Scenario scenario() {
            return results.scenario();
        }

        boolean failed() {
            return error != null;
        }

        /** Has a run that still needs its FinishRun. */
        boolean toFinish() {
            return run != null && run.getStatus() != RunStatus.RUN_STATUS_SUCCEEDED;
        }
    }

    void stop() {
        stopped.set(true);
    }

    boolean stopped() {
        return stopped.get();
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
     * Creates (or finds, by idempotency key) the run of every upload with BatchCreateRuns; a scenario whose earlier run
     * ended FAILED or CANCELLED gets a new run under the key {@code …#2}, {@code #3}, …. An item the daemon refused
     * becomes that upload's error.
     */
    void createRuns(List<Upload> uploads) throws InterruptedException {
        long phase = System.nanoTime();
        List<Upload> pending = new ArrayList<>(uploads);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS && !pending.isEmpty(); attempt++) {
            checkNotStopped();
            int keyAttempt = attempt;
            List<CreateRunRequest> requests = pending.stream().map(upload -> createRequest(upload.scenario(), keyAttempt)).toList();
            List<CreateRunResult> results;
            try {
                results = createWaitingForOwners(requests);
            }
            catch (UnavailableException | UnauthenticatedException | PermissionDeniedException e) {
                throw e;
            }
            catch (StorageException e) {
                pending.forEach(upload -> upload.error = message(e));
                pending = List.of();
                break;
            }
            List<Upload> again = new ArrayList<>();
            for (int i = 0; i < pending.size(); i++) {
                Upload upload = pending.get(i);
                CreateRunResult result = results.get(i);
                if (result.hasError()) {
                    upload.error = message(StorageExceptions.fromStatusProto(result.getError()));
                    continue;
                }
                Run run = result.getCreated().getRun();
                String key = requests.get(i).getIdempotencyKey();
                if (!run.getSweepId().equals(spec.sweepId()) || !run.getScenarioId().equals(upload.scenario().id())) {
                    upload.error = "idempotency key " + key + " belongs to run " + run.getRunId() + " of " + run.getSweepId() + "/"
                            + run.getScenarioId();
                } else if (run.getStatus() == RunStatus.RUN_STATUS_RUNNING || run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED) {
                    upload.run = run;
                    upload.resumed = run.getCommittedChunkSeq() > 0 || run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED;
                } else {
                    // FAILED or CANCELLED by an earlier invocation: a new attempt gets a new run.
                    again.add(upload);
                }
            }
            pending = again;
        }
        for (Upload upload : pending) {
            upload.error = "scenario " + upload.scenario().id() + " failed " + MAX_ATTEMPTS + " times before; not trying again";
        }
        timings.add(Phase.CREATE, phase);
    }

    /**
     * BatchCreateRuns; items a cluster answers RUN_OWNED_ELSEWHERE (the scenario's run is still leased to another daemon,
     * typically one that just died) are asked again after the delay the daemon gives, until that lease expires and the
     * run is declared lost (then the item creates a new run) or {@value #OWNER_WAIT_MINUTES} minutes pass.
     */
    private List<CreateRunResult> createWaitingForOwners(List<CreateRunRequest> requests) throws InterruptedException {
        List<CreateRunResult> results = new ArrayList<>(inBatches(requests, artifacts::batchCreateRuns));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(OWNER_WAIT_MINUTES);
        while (System.nanoTime() < deadline) {
            List<Integer> waiting = new ArrayList<>();
            long delayMillis = 100;
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).hasError()) {
                    StorageException error = StorageExceptions.fromStatusProto(results.get(i).getError());
                    if ("RUN_OWNED_ELSEWHERE".equals(error.reason())) {
                        waiting.add(i);
                        delayMillis = Math.max(delayMillis, error.retryDelay().map(java.time.Duration::toMillis).orElse(1000L));
                    }
                }
            }
            if (waiting.isEmpty()) {
                break;
            }
            log.info("{} scenario(s) of sweep {} are still leased to another daemon; asking again in {} ms", waiting.size(), spec.sweepId(),
                    Math.min(delayMillis, 5000));
            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(Math.min(delayMillis, 5000));
            checkNotStopped();
            List<CreateRunResult> again = inBatches(waiting.stream().map(requests::get).toList(), artifacts::batchCreateRuns);
            for (int j = 0; j < waiting.size(); j++) {
                results.set(waiting.get(j), again.get(j));
            }
        }
        return results;
    }

    private CreateRunRequest createRequest(Scenario scenario, int attempt) {
        String baseKey = SweepCheckpoints.key(spec.sweepId(), scenario.id());
        return CreateRunRequest.newBuilder()
                .setSweepId(spec.sweepId())
                .setScenarioId(scenario.id())
                .setParamsJson(params.of(scenario))
                .addInputArtifactIds(alertsArtifactId)
                .setIdempotencyKey(attempt == 1 ? baseKey : baseKey + "#" + attempt)
                .build();
    }

    /**
     * Sends the run's missing chunks (one AppendRunRows stream). Failures of the scenario become its error; losing the
     * daemon and interrupts are thrown.
     */
    void sendRows(Upload upload) throws InterruptedException {
        if (upload.failed() || upload.run == null) {
            return;
        }
        long phase = System.nanoTime();
        try {
            checkNotStopped();
            upload.rows = upload.run.getStatus() == RunStatus.RUN_STATUS_SUCCEEDED ? upload.run.getRowCount() : streamRows(upload.run, upload.results);
            lastRowsCommitted.accumulateAndGet(timings.add(Phase.ROWS, phase), Math::max);
            if (upload.rows != calls.size()) {
                upload.error = "the daemon holds " + upload.rows + " rows for run " + upload.run.getRunId() + ", expected " + calls.size()
                        + " (one per call)";
            }
        }
        catch (UnavailableException | UnauthenticatedException | PermissionDeniedException e) {
            // The daemon is gone or refuses this token: every later scenario would fail the same way.
            throw e;
        }
        catch (CancelledException e) {
            if (stopped.get() || Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("sweep stopped during " + upload.scenario().id());
            }
            upload.error = message(e);
        }
        catch (StorageException | IllegalStateException | IllegalArgumentException e) {
            log.debug("scenario {} failed", upload.scenario().id(), e);
            upload.error = message(e);
        }
    }

    /**
     * Finishes the uploads' runs, records and reports them: the succeeded ones SUCCEEDED and the failed ones FAILED,
     * all with DEFER in BatchFinishRuns, then their checkpoints in BatchSet; then {@code sealer} (if any) alone with
     * SWEEP, which seals every finished run of the sweep. Uploads without a run are reported as failed.
     */
    void finishAll(List<Upload> uploads, Optional<Upload> sealer) throws InterruptedException {
        checkNotStopped();
        List<Upload> deferred = uploads.stream().filter(upload -> sealer.isEmpty() || upload != sealer.get()).toList();
        finishAndRecord(deferred, SealMode.SEAL_MODE_DEFER);
        if (sealer.isPresent()) {
            checkNotStopped();
            finishAndRecord(List.of(sealer.get()), SealMode.SEAL_MODE_SWEEP);
        }
    }

    private void finishAndRecord(List<Upload> uploads, SealMode sealMode) {
        long phase = System.nanoTime();
        List<Upload> finishing = uploads.stream().filter(Upload::toFinish).toList();
        List<FinishRunRequest> requests = finishing.stream().map(upload -> finishRequest(upload, sealMode)).toList();
        if (!requests.isEmpty()) {
            // Under no lock: two waves' seals (SWEEP) may be in flight at once. The daemon claims each run before sealing
            // it, so concurrent seals of one sweep seal every run exactly once.
            List<FinishRunResult> results;
            try {
                results = inBatches(requests, artifacts::batchFinishRuns);
            }
            catch (UnavailableException | UnauthenticatedException | PermissionDeniedException e) {
                throw e;
            }
            catch (StorageException e) {
                // The whole call was refused: none of these runs is finished (a resume finds them RUNNING and goes on).
                finishing.stream().filter(upload -> !upload.failed()).forEach(upload -> upload.error = message(e));
                results = List.of();
            }
            if (sealMode == SealMode.SEAL_MODE_SWEEP && !results.isEmpty()) {
                seals.incrementAndGet();
            }
            for (int i = 0; i < results.size(); i++) {
                Upload upload = finishing.get(i);
                if (results.get(i).hasError()) {
                    String error = message(StorageExceptions.fromStatusProto(results.get(i).getError()));
                    if (!upload.failed()) {
                        upload.error = error;
                        markFailed(upload, sealMode);
                    } else {
                        log.warn("could not mark run {} of {} FAILED: {}", upload.run.getRunId(), upload.scenario().id(), error);
                    }
                }
            }
        }
        phase = timings.add(sealMode == SealMode.SEAL_MODE_SWEEP ? Phase.FINISH_AND_SEAL : Phase.FINISH, phase);
        List<SweepCheckpoints.Checkpoint> succeeded = new ArrayList<>();
        for (Upload upload : uploads) {
            if (!upload.failed()) {
                succeeded.add(new SweepCheckpoints.Checkpoint(upload.scenario().id(), upload.run.getRunId(), upload.rows,
                        upload.results.summary().tradeable(), mean(upload.results.summary())));
            }
        }
        if (!succeeded.isEmpty()) {
            try {
                checkpoints.recordAll(spec.sweepId(), succeeded, clock.millis());
            }
            catch (UnavailableException | UnauthenticatedException | PermissionDeniedException e) {
                throw e;
            }
            catch (StorageException e) {
                // Not recorded: the scenarios are not done as far as a resume can tell (their runs are SUCCEEDED; a resume
                // finds them by their keys and records them then).
                uploads.stream().filter(upload -> !upload.failed()).forEach(upload -> upload.error = "could not record the checkpoint: " + message(e));
            }
        }
        timings.add(Phase.CHECKPOINT, phase);
        for (Upload upload : uploads) {
            report(upload);
        }
    }

    private FinishRunRequest finishRequest(Upload upload, SealMode sealMode) {
        FinishRunRequest.Builder request = FinishRunRequest.newBuilder().setRunId(upload.run.getRunId()).setSeal(sealMode);
        if (upload.failed()) {
            return request.setStatus(RunStatus.RUN_STATUS_FAILED).setErrorMessage(truncated(upload.error)).build();
        }
        return request.setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putAllSummary(upload.results.summary().metrics()).build();
    }

    /** A run whose SUCCEEDED finish was refused is marked FAILED (as FinishRun alone would have been retried). */
    private void markFailed(Upload upload, SealMode sealMode) {
        try {
            artifacts.finishRun(finishRequest(upload, sealMode));
        }
        catch (UnavailableException lost) {
            throw lost;
        }
        catch (StorageException secondFailure) {
            log.warn("could not mark run {} of {} FAILED: {}", upload.run.getRunId(), upload.scenario().id(), secondFailure.getMessage());
        }
    }

    /**
     * The batch call over the requests in slices of at most {@link #batchLimit} items, results in request order. A daemon
     * with a smaller runs.max-batch refuses a slice whole (REQUEST_TOO_LARGE, nothing applied) naming its limit; the
     * slice is then sent again in slices of that size.
     */
    private <Q, R> List<R> inBatches(List<Q> requests, Function<List<Q>, List<R>> call) {
        List<R> results = new ArrayList<>(requests.size());
        int from = 0;
        while (from < requests.size()) {
            int limit = batchLimit.get();
            List<Q> slice = requests.subList(from, Math.min(requests.size(), from + limit));
            try {
                results.addAll(call.apply(slice));
                from += slice.size();
            }
            catch (ResourceExhaustedException e) {
                String daemonLimit = e.error().metadata().get("limit");
                if (!"REQUEST_TOO_LARGE".equals(e.error().reason()) || daemonLimit == null || Integer.parseInt(daemonLimit) >= slice.size()) {
                    throw e;
                }
                batchLimit.set(Math.max(1, Integer.parseInt(daemonLimit)));
            }
        }
        return results;
    }

    private void report(Upload upload) {
        Scenario scenario = upload.scenario();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - upload.start);
        Optional<String> runId = upload.run == null ? Optional.empty() : Optional.of(upload.run.getRunId());
        if (upload.failed()) {
            finished(new ScenarioOutcome(scenario.id(), runId, 0, 0, OptionalDouble.empty(), upload.resumed, elapsed,
                    Optional.of(upload.error)));
            return;
        }
        ScenarioSummary summary = upload.results.summary();
        OptionalDouble mean = mean(summary);
        ScenarioOutcome outcome = new ScenarioOutcome(scenario.id(), runId, upload.rows, summary.tradeable(), mean, upload.resumed,
                elapsed, Optional.empty());
        backtests.addAndGet(upload.rows);
        mean.ifPresent(value -> progress.offerBest(scenario.id(), value, percent(value)));
        progress.advance(calls.size());
        finished(outcome);
    }

    private static OptionalDouble mean(ScenarioSummary summary) {
        return Double.isNaN(summary.meanNetReturn()) ? OptionalDouble.empty() : OptionalDouble.of(summary.meanNetReturn());
    }

    private static String message(RuntimeException error) {
        return error.getMessage() == null ? error.toString() : error.getMessage();
    }

    private static String truncated(String message) {
        return message.length() > 8_000 ? message.substring(0, 8_000) : message;
    }

    private void checkNotStopped() throws InterruptedException {
        if (stopped.get() || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("sweep stopped");
        }
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

    /** Streams the chunks after the run's committed chunk sequence; returns the run's row count. */
    private long streamRows(Run run, ScenarioResults results) throws InterruptedException {
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
                checkNotStopped();
                writer.write(RowChunks.of(results.chunk(sequence, chunkRows)));
            }
            AppendRunRowsResponse response = writer.finish();
            return response.getRunRowCount();
        }
    }
}
