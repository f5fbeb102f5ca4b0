package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.ArtifactClient;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.RunRowsWriter;
import io.quantbot.storage.v1.SealMode;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.meta.SweepMetadata;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sweep through the storage daemon, with the client SDK only.
 *
 * <p>Per interval, the calls' candles are fetched once (BatchGetCandles, one request per call) and
 * replayed for every lag × overlay set of that interval; then each scenario of the interval becomes one
 * run, uploaded with the other runs of its seal wave as a batch ({@link WaveUpload}): one BatchCreateRuns for the
 * wave (idempotency key {@code <sweep_id>/<scenario_id>} per run), each run's rows streamed with a
 * {@link RunRowsWriter} in deterministic chunks (numbered 1, 2, 3, …), one BatchFinishRuns with the summary
 * metrics and one StatePort BatchSet of checkpoints ({@link SweepCheckpoints}) for the wave. Uploads of one interval
 * overlap the simulation of the next.
 *
 * <p>Resume: scenarios with a checkpoint are skipped. A scenario interrupted half-way is created again
 * with the same idempotency key, which returns the same run, and only the chunks after its committed
 * chunk sequence are sent (the daemon would ignore the others anyway), so a resumed sweep has no
 * duplicate rows. A run that ended FAILED or CANCELLED is retried under the key {@code …#2}, {@code #3}, ….
 *
 * <p>Sealing, in waves (consecutive scenarios of one interval; at most four waves of at least 100,000 rows per
 * invocation): every run of a wave but its last finishes with {@link SealMode#SEAL_MODE_DEFER}; the last one is
 * held back until the others are finished and recorded and finishes with {@link SealMode#SEAL_MODE_SWEEP}, which seals
 * all finished, unsealed runs of the sweep (this invocation's and earlier ones') into one run_results artifact for
 * AnalyzeSweep while later waves are uploaded, so that little sealing is left once the last rows are in.
 *
 * <p>Interrupting the calling thread (Ctrl-C does, through the CLI) stops the sweep: streams in flight
 * are cancelled (their committed chunks stay), finished scenarios stay recorded, and {@link #run} returns
 * with {@code interrupted = true}.
 */
public final class RemoteSweep {
    private static final Logger log = LoggerFactory.getLogger(RemoteSweep.class);
    /** Seal waves per invocation, at most (more when intervals split them), each of at least MIN_WAVE_ROWS rows: every
     * seal costs the daemon a sort, a Parquet file and a hash pass, measured at 0.5 to 1 s for 50,000 to 200,000 rows. */
    private static final long MAX_WAVES = 4;
    private static final long MIN_WAVE_ROWS = 100_000;
    /** How long scenarios in flight may take to reach a clean stop once the sweep is interrupted. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);
    /** Threads for the waves' batch calls (create, finish and seal, checkpoints): two waves' seals may overlap. */
    private static final int CONTROL_THREADS = 2;

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
            checkpoint.meanNetReturn().ifPresent(mean -> progress.offerBest(checkpoint.scenarioId(), mean, ScenarioUploader.percent(mean)));
        }
        long totalRows = (long) todo.size() * calls.size();
        int waveScenarios = (int) Math.max(1, Math.max(MIN_WAVE_ROWS, (totalRows + MAX_WAVES - 1) / MAX_WAVES) / calls.size());
        PhaseTimings timings = new PhaseTimings();
        // One event per scenario reported (empty) or per failure that ends the sweep (the daemon lost, an interrupt).
        BlockingQueue<Optional<Throwable>> events = new LinkedBlockingQueue<>();
        SweepListener reporting = outcome -> {
            try {
                listener.scenarioFinished(outcome);
            }
            finally {
                events.add(Optional.empty());
            }
        };
        ScenarioUploader uploads = new ScenarioUploader(artifacts, checkpoints, spec, alertsArtifactId, new RunParams(spec, alertsArtifactId, metadata),
                clock, calls, reporting, progress, todo.size(), timings);
        Consumer<Throwable> failures = failure -> events.add(Optional.of(failure));
        IntervalSimulation intervals = new IntervalSimulation(candles);
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
        // Batch calls (create, finish, seal, checkpoints) of the waves: apart from the streams, so that a wave's finish
        // never waits behind the next wave's streams.
        ExecutorService control = Executors.newFixedThreadPool(CONTROL_THREADS, runnable -> {
            Thread thread = new Thread(runnable, "sweep-batch-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
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
                intervals.simulate(simulator, intervalIndex, calls, results, simulation, timings);
                timings.add(Phase.CANDLES_AND_SIMULATION, simulateStart);
                // Seal waves, each uploaded as a batch: its last scenario seals it (and whatever else of the sweep is
                // finished) while later waves upload, so little sealing is left after the last rows.
                List<ScenarioResults> intervalRuns = intervalTodo.stream().map(scenario -> results[scenario.index()]).toList();
                for (int from = 0; from < intervalRuns.size(); from += waveScenarios) {
                    new WaveUpload(intervalRuns.subList(from, Math.min(intervalRuns.size(), from + waveScenarios)), uploads, control,
                            uploaders, failures).start();
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("sweep interrupted");
                }
            }
            for (int finished = 0; finished < todo.size(); finished++) {
                Optional<Throwable> failure = events.take();
                if (failure.isPresent()) {
                    IntervalSimulation.rethrow(failure.get());
                }
            }
        }
        catch (InterruptedException e) {
            interrupted = true;
        }
        finally {
            // Uploads in flight stop at their next step rather than being interrupted mid-call: a stream is
            // cancelled between chunks (committed chunks stay, a resume sends the rest), and a wave whose finish is under
            // way is finished and recorded, so what is recorded is exactly what was reported.
            uploads.stop();
            simulation.shutdownNow();
            uploaders.shutdown();
            control.shutdown();
            long graceEnd = System.nanoTime() + STOP_GRACE.toNanos();
            if (!uploaders.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                uploaders.shutdownNow();
            }
            if (!control.awaitTermination(Math.max(0, graceEnd - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                control.shutdownNow();
            }
            progress.finish();
        }
        long committed = uploads.lastRowsCommitted();
        return new RemoteSweepResult(spec.sweepId(), scenarios.size(), skipped, uploads.outcomes(), interrupted,
                uploads.seals(), uploads.backtests(), Duration.ofNanos(System.nanoTime() - start),
                Duration.ofNanos(committed == Long.MIN_VALUE ? 0 : committed - start), timings.snapshot());
    }

}
