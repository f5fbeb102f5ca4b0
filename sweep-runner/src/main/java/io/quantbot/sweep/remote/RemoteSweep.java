package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.storage.client.ArtifactClient;
import io.quantbot.storage.client.CancelledException;
import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.QuantbotStorageClient;
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
import io.quantbot.sweep.candles.CandleFetchPlan;
import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.ScenarioSummary;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.spec.EntryRule;
import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sweep through the storage daemon, with the client SDK only.
 *
 * <p>Per interval, the calls' candles are fetched once (BatchGetCandles, one request per call) and
 * replayed for every lag × overlay set of that interval; then each scenario of the interval becomes one
 * run: CreateRun (idempotency key {@code <sweep_id>/<scenario_id>}), its rows streamed with a
 * {@link RunRowsWriter} in deterministic chunks (numbered 1, 2, 3, …), FinishRun with the summary
 * metrics, and a checkpoint in StatePort ({@link SweepCheckpoints}). Uploads of one interval overlap the
 * simulation of the next.
 *
 * <p>Resume: scenarios with a checkpoint are skipped. A scenario interrupted half-way is created again
 * with the same idempotency key, which returns the same run, and only the chunks after its committed
 * chunk sequence are sent (the daemon would ignore the others anyway), so a resumed sweep has no
 * duplicate rows. A run that ended FAILED or CANCELLED is retried under the key {@code …#2}, {@code #3}, ….
 *
 * <p>Sealing, in waves (consecutive scenarios of one interval; at most four waves of at least 100,000 rows per
 * invocation): every run of a wave but its last finishes with {@link SealMode#SEAL_MODE_DEFER}; the last one is
 * held back until the others are finished and finishes with {@link SealMode#SEAL_MODE_SWEEP}, which seals all
 * finished, unsealed runs of the sweep (this invocation's and earlier ones') into one run_results artifact for
 * AnalyzeSweep while later waves are uploaded, so that little sealing is left once the last rows are in.
 *
 * <p>Interrupting the calling thread (Ctrl-C does, through the CLI) stops the sweep: streams in flight
 * are cancelled (their committed chunks stay), finished scenarios stay recorded, and {@link #run} returns
 * with {@code interrupted = true}.
 */
public final class RemoteSweep {
    private static final Logger log = LoggerFactory.getLogger(RemoteSweep.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Merged candle requests per BatchGetCandles: one task of the simulation pool. */
    private static final int GROUPS_PER_FETCH = 16;
    private static final int MAX_ATTEMPTS = 20;
    /** Seal waves per invocation, at most (more when intervals split them), each of at least MIN_WAVE_ROWS rows: every
     * seal costs the daemon a sort, a Parquet file and a hash pass, measured at 0.5 to 1 s for 50,000 to 200,000 rows. */
    private static final long MAX_WAVES = 4;
    private static final long MIN_WAVE_ROWS = 100_000;
    /** How long scenarios in flight may take to reach a clean stop once the sweep is interrupted. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);

    private final ArtifactClient artifacts;
    private final SweepCheckpoints checkpoints;
    private final CandleSource candles;
    private final SweepSpec spec;
    private final String alertsArtifactId;
    private final SweepMetadata metadata;
    private final Options options;
    private final Clock clock;

    /**
     * @param uploadStreams runs uploaded at the same time (concurrent AppendRunRows streams)
     */
    public record Options(int uploadStreams, ProgressReporter.Mode progressMode) {
        public Options {
            if (uploadStreams < 1) {
                throw new IllegalArgumentException("uploadStreams must be >= 1");
            }
            requireNonNull(progressMode, "progressMode is null");
        }
    }

    /** @param metadata stored in every run's params_json under {@code metadata} */
    public RemoteSweep(QuantbotStorageClient client, CandleSource candles, SweepSpec spec, String alertsArtifactId,
            SweepMetadata metadata, Options options, Clock clock) {
        requireNonNull(client, "client is null");
        this.artifacts = client.artifacts();
        this.checkpoints = new SweepCheckpoints(client.state());
        this.candles = requireNonNull(candles, "candles is null");
        this.spec = requireNonNull(spec, "spec is null");
        this.alertsArtifactId = requireNonNull(alertsArtifactId, "alertsArtifactId is null");
        this.metadata = requireNonNull(metadata, "metadata is null");
        this.options = requireNonNull(options, "options is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Runs the scenarios not completed yet.
     *
     * @param err where the plan, the progress bar (or lines) and one line per finished scenario go (stderr)
     */
    public RemoteSweepResult run(List<Call> callList, SweepListener listener, PrintWriter err)
            throws InterruptedException, IOException {
        requireNonNull(callList, "callList is null");
        requireNonNull(listener, "listener is null");
        requireNonNull(err, "err is null");
        long start = System.nanoTime();
        if (callList.isEmpty()) {
            throw new IllegalArgumentException("the alerts artifact " + alertsArtifactId + " holds no calls");
        }
        SweepCalls calls = new SweepCalls(callList);
        SweepSimulator simulator = new SweepSimulator(spec);
        List<Scenario> scenarios = simulator.scenarios();
        Map<String, SweepCheckpoints.Checkpoint> completed = checkpoints.completed(spec.sweepId());
        List<Scenario> todo = scenarios.stream().filter(scenario -> !completed.containsKey(scenario.id())).toList();
        int skipped = scenarios.size() - todo.size();
        err.println(String.format(Locale.ROOT, "sweep %s: %d scenarios × %,d calls = %,d backtests; %s",
                spec.sweepId(), scenarios.size(), calls.size(), (long) scenarios.size() * calls.size(),
                skipped == 0 ? "none done before"
                        : "skipping " + skipped + " scenario" + (skipped == 1 ? "" : "s") + " completed before, "
                                + todo.size() + " to run"));
        err.flush();
        if (todo.isEmpty()) {
            return new RemoteSweepResult(spec.sweepId(), scenarios.size(), skipped, List.of(), false, 0, 0,
                    Duration.ofNanos(System.nanoTime() - start), Duration.ZERO, Map.of());
        }

        ProgressReporter progress = new ProgressReporter("backtests", (long) todo.size() * calls.size(),
                options.progressMode(), err);
        for (SweepCheckpoints.Checkpoint checkpoint : completed.values()) {
            checkpoint.meanNetReturn().ifPresent(mean -> progress.offerBest(checkpoint.scenarioId(), mean, percent(mean)));
        }
        long totalRows = (long) todo.size() * calls.size();
        int waveScenarios = (int) Math.max(1, Math.max(MIN_WAVE_ROWS, (totalRows + MAX_WAVES - 1) / MAX_WAVES) / calls.size());
        PhaseTimings timings = new PhaseTimings();
        Uploads uploads = new Uploads(calls, listener, progress, todo.size(), timings);
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService simulation = Executors.newFixedThreadPool(spec.parallelism(), runnable -> {
            Thread thread = new Thread(runnable, "sweep-simulate-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        ExecutorService uploaders = Executors.newFixedThreadPool(options.uploadStreams(), runnable -> {
            Thread thread = new Thread(runnable, "sweep-upload-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        CompletionService<ScenarioOutcome> done = new ExecutorCompletionService<>(uploaders);
        boolean interrupted = false;
        try {
            for (int intervalIndex = 0; intervalIndex < spec.intervals().size(); intervalIndex++) {
                ScenarioResults[] results = new ScenarioResults[scenarios.size()];
                List<Scenario> intervalTodo = new ArrayList<>();
                for (Scenario scenario : todo) {
                    if (scenario.intervalIndex() == intervalIndex) {
                        results[scenario.index()] = new ScenarioResults(spec.sweepId(), scenario, calls, spec.notionalUsd());
                        intervalTodo.add(scenario);
                    }
                }
                if (intervalTodo.isEmpty()) {
                    continue;
                }
                long simulateStart = System.nanoTime();
                simulateInterval(simulator, intervalIndex, calls, results, simulation, timings);
                timings.add(Phase.CANDLES_AND_SIMULATION, simulateStart);
                // Seal waves: each wave's last scenario waits for the others, then seals them (and whatever else of
                // the sweep is finished) while later waves upload, so little sealing is left after the last rows.
                List<ScenarioResults> intervalRuns = intervalTodo.stream().map(scenario -> results[scenario.index()]).toList();
                for (int from = 0; from < intervalRuns.size(); from += waveScenarios) {
                    new Wave(intervalRuns.subList(from, Math.min(intervalRuns.size(), from + waveScenarios)), done, uploads)
                            .start();
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("sweep interrupted");
                }
            }
            for (int finished = 0; finished < todo.size(); finished++) {
                outcomeOf(done.take());
            }
        }
        catch (InterruptedException e) {
            interrupted = true;
        }
        finally {
            // Uploads in flight stop at their next step rather than being interrupted mid-call: a stream is
            // cancelled between chunks (committed chunks stay, a resume sends the rest), and a run whose rows are
            // all sent is finished and recorded, so what is recorded is exactly what was reported.
            uploads.stop();
            simulation.shutdownNow();
            uploaders.shutdown();
            if (!uploaders.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                uploaders.shutdownNow();
            }
            progress.finish();
        }
        long committed = uploads.lastRowsCommitted.get();
        return new RemoteSweepResult(spec.sweepId(), scenarios.size(), skipped, uploads.outcomes(), interrupted,
                uploads.seals.get(), uploads.backtests.get(), Duration.ofNanos(System.nanoTime() - start),
                Duration.ofNanos(committed == Long.MIN_VALUE ? 0 : committed - start), timings.snapshot());
    }

    private static void outcomeOf(Future<ScenarioOutcome> future) throws InterruptedException, IOException {
        try {
            future.get();
        }
        catch (ExecutionException e) {
            rethrow(e.getCause());
        }
    }

    /**
     * Candles once per call and interval (overlapping ranges of calls on the same token merged into one read,
     * {@link CandleFetchPlan}), each call's series replayed for every lag × overlay set of the interval.
     */
    private void simulateInterval(SweepSimulator simulator, int intervalIndex, SweepCalls calls, ScenarioResults[] results,
            ExecutorService simulation, PhaseTimings timings) throws InterruptedException, IOException {
        List<CandleRequest> perCall = new ArrayList<>(calls.size());
        for (int slot = 0; slot < calls.size(); slot++) {
            perCall.add(simulator.candleRequest(calls.get(slot), intervalIndex));
        }
        List<CandleFetchPlan.Group> groups = CandleFetchPlan.plan(perCall);
        int perFetch = Math.max(1, Math.min(GROUPS_PER_FETCH, candles.maxBatchSize()));
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int from = 0; from < groups.size(); from += perFetch) {
            List<CandleFetchPlan.Group> batch = groups.subList(from, Math.min(groups.size(), from + perFetch));
            tasks.add(() -> {
                long fetchStart = System.nanoTime();
                List<CandleSeries> fetched = candles.fetch(batch.stream().map(CandleFetchPlan.Group::request).toList());
                timings.add(Phase.CANDLE_FETCH, fetchStart);
                for (int index = 0; index < batch.size(); index++) {
                    CandleSeries merged = fetched.get(index);
                    for (int slot : batch.get(index).members()) {
                        CandleRequest own = perCall.get(slot);
                        CandleSeries series = CandleFetchPlan.slice(merged, own.fromMillis(), own.toMillis());
                        simulator.simulate(intervalIndex, calls.get(slot), series, (scenario, outcome) -> {
                            ScenarioResults target = results[scenario.index()];
                            if (target != null) {
                                target.record(slot, outcome);
                            }
                        });
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedException("sweep interrupted");
                    }
                }
                return null;
            });
        }
        try {
            for (Future<Void> future : simulation.invokeAll(tasks)) {
                future.get();
            }
        }
        catch (ExecutionException e) {
            rethrow(e.getCause());
        }
    }

    private static void rethrow(Throwable cause) throws InterruptedException, IOException {
        if (cause instanceof InterruptedException interrupted) {
            throw interrupted;
        }
        if (cause instanceof IOException io) {
            throw io;
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        throw new IllegalStateException("sweep task failed", cause);
    }

    /** The JSON object stored as the run's params_json: everything that defines the scenario. */
    String paramsJson(Scenario scenario) {
        ObjectNode params = JSON.createObjectNode();
        params.put("sweep_id", spec.sweepId());
        params.put("scenario_id", scenario.id());
        params.put("interval", scenario.interval().label());
        params.put("lag_ms", scenario.lagMillis());
        ObjectNode overlaySet = params.putObject("overlay_set");
        overlaySet.put("name", scenario.overlaySet().name());
        ArrayNode overlays = overlaySet.putArray("overlays");
        for (Overlay overlay : scenario.overlaySet().overlays()) {
            ObjectNode node = overlays.addObject();
            node.put("type", overlay.type());
            if (overlay instanceof Overlay.TakeProfit takeProfit) {
                node.put("pct", takeProfit.pct());
            }
            else if (overlay instanceof Overlay.StopLoss stopLoss) {
                node.put("pct", stopLoss.pct());
            }
            else if (overlay instanceof Overlay.TrailingStop trailing) {
                node.put("pct", trailing.pct());
            }
            else if (overlay instanceof Overlay.TimeExit timeExit) {
                node.put("after_ms", timeExit.afterMillis());
            }
            else if (overlay instanceof Overlay.TakeProfitLadder ladder) {
                legs(node, ladder.legs());
            }
            else if (overlay instanceof Overlay.StopLadder ladder) {
                legs(node, ladder.legs());
            }
        }
        ObjectNode entry = params.putObject("entry");
        entry.put("rule", spec.entryRule().kind().label());
        if (spec.entryRule().kind() == EntryRule.Kind.LIMIT) {
            entry.put("tolerance_pct", spec.entryRule().tolerancePct());
            entry.put("window_ms", spec.entryRule().windowMillis());
        }
        params.put("taker_fee_bps", spec.takerFeeBps());
        params.put("slippage_bps", spec.slippageBps());
        params.put("notional_usd", spec.notionalUsd());
        params.put("time_frame_ms", spec.timeFrameMillis());
        params.put("chunk_rows", spec.chunkRows());
        params.put("calls", spec.calls().describe());
        params.put("calls_artifact_id", alertsArtifactId);
        params.set("metadata", metadata.toJson());
        return params.toString();
    }

    private static void legs(ObjectNode node, List<Overlay.Leg> legs) {
        ArrayNode levels = node.putArray("levels");
        for (Overlay.Leg leg : legs) {
            levels.addObject().put("pct", leg.pct()).put("fraction", leg.fraction());
        }
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%+.2f%%", fraction * 100);
    }

    /**
     * The runs of one interval: all but the last finish with DEFER; when the last of those is done, the held-back
     * scenario is uploaded and finishes with SWEEP, which seals every finished, unsealed run of the sweep. Seals of
     * two waves may overlap: the daemon claims each run before sealing it, so none is sealed twice, and every run is
     * finished before its own wave's seal, so each is sealed by that seal or an earlier one.
     */
    private static final class Wave {
        private final List<ScenarioResults> runs;
        private final CompletionService<ScenarioOutcome> done;
        private final Uploads uploads;
        private final AtomicInteger pending;

        Wave(List<ScenarioResults> runs, CompletionService<ScenarioOutcome> done, Uploads uploads) {
            this.runs = runs;
            this.done = done;
            this.uploads = uploads;
            this.pending = new AtomicInteger(runs.size() - 1);
        }

        void start() {
            if (runs.size() == 1) {
                submitSeal();
                return;
            }
            for (ScenarioResults run : runs.subList(0, runs.size() - 1)) {
                done.submit(() -> {
                    try {
                        return uploads.upload(run, SealMode.SEAL_MODE_DEFER);
                    }
                    finally {
                        if (pending.decrementAndGet() == 0) {
                            submitSeal();
                        }
                    }
                });
            }
        }

        private void submitSeal() {
            ScenarioResults held = runs.get(runs.size() - 1);
            try {
                done.submit(() -> {
                    return uploads.upload(held, SealMode.SEAL_MODE_SWEEP);
                });
            }
            catch (RejectedExecutionException stopping) {
                // The sweep is stopping and its uploaders are shut down: the held scenario is left for a resume.
                log.debug("not uploading {}: the sweep is stopping", held.scenario().id());
            }
        }
    }

    /** The upload side: one scenario at a time per thread. */
    private final class Uploads {
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

        Uploads(SweepCalls calls, SweepListener listener, ProgressReporter progress, int scenarios, PhaseTimings timings) {
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
            String params = paramsJson(scenario);
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                String key = attempt == 1 ? baseKey : baseKey + "#" + attempt;
                Run run = artifacts.createRun(CreateRunRequest.newBuilder()
                        .setSweepId(spec.sweepId())
                        .setScenarioId(scenario.id())
                        .setParamsJson(params)
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
}
