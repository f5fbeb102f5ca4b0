package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Some scenarios of a sweep, run where this is called: one task of a distributed engine (sweep-spark). The same
 * parts as {@link RemoteSweep}: {@link IntervalSimulation} replays each call's candles (from the given source) with
 * the same Backtester, and {@link ScenarioUploader} creates or finds the runs by their idempotency keys
 * (BatchCreateRuns), sends the chunks each lacks, finishes them (BatchFinishRuns) and records the checkpoints. What is
 * added is the attempt fence ({@link ScenarioLeases}): a scenario is written only under its lease, and a scenario
 * another attempt completed is only verified.
 *
 * <p>Sealing: the scenarios this attempt holds the leases of form one wave; every run but the last finishes with
 * DEFER, the last, once the others are finished, with SWEEP.
 */
public final class ScenarioShard {
    private final QuantbotStorageClient client;
    private final SweepSpec spec;
    private final String alertsArtifactId;
    private final SweepMetadata metadata;
    private final SweepCalls calls;
    private final CandleSource candles;
    private final ScenarioLeases leases;
    private final int uploadStreams;

    /**
     * What the shard did: {@code outcomes} of scenarios written (or failed) by this attempt, {@code verified} the
     * checkpoints of scenarios another attempt (or an earlier invocation) had completed.
     */
    public record Result(List<ScenarioOutcome> outcomes, List<SweepCheckpoints.Checkpoint> verified, int seals,
            long backtests, Map<Phase, Duration> phases) {
        public Result {
            outcomes = List.copyOf(outcomes);
            verified = List.copyOf(verified);
            phases = Map.copyOf(phases);
        }
    }

    public ScenarioShard(QuantbotStorageClient client, SweepSpec spec, String alertsArtifactId, SweepMetadata metadata,
            SweepCalls calls, CandleSource candles, ScenarioLeases leases, int uploadStreams) {
        this.client = requireNonNull(client, "client is null");
        this.spec = requireNonNull(spec, "spec is null");
        this.alertsArtifactId = requireNonNull(alertsArtifactId, "alertsArtifactId is null");
        this.metadata = requireNonNull(metadata, "metadata is null");
        this.calls = requireNonNull(calls, "calls is null");
        this.candles = requireNonNull(candles, "candles is null");
        this.leases = requireNonNull(leases, "leases is null");
        if (uploadStreams < 1) {
            throw new IllegalArgumentException("uploadStreams must be >= 1");
        }
        this.uploadStreams = uploadStreams;
    }

    /** How long a scenario another attempt completed may stay finished but unsealed before this shard gives up. */
    private static final Duration SEAL_WAIT = Duration.ofMinutes(10);

    /**
     * Runs the scenarios (by {@link Scenario#id()}) of the shard that have no checkpoint yet, and returns once every
     * scenario's results are sealed: a scenario another attempt completed is waited for until its run is sealed, and run
     * again if that run is lost instead (in a cluster, its daemon died between the finish and the sweep's seal).
     */
    public Result run(List<String> scenarioIds) throws InterruptedException, IOException {
        Result total = runOnce(scenarioIds);
        while (true) {
            List<String> lost = awaitSealed(total.verified());
            if (lost.isEmpty()) {
                return total;
            }
            Result again = runOnce(lost);
            List<ScenarioOutcome> outcomes = new ArrayList<>(total.outcomes());
            outcomes.addAll(again.outcomes());
            List<SweepCheckpoints.Checkpoint> verified = new ArrayList<>(total.verified());
            verified.removeIf(checkpoint -> lost.contains(checkpoint.scenarioId()));
            verified.addAll(again.verified());
            Map<Phase, Duration> phases = new java.util.EnumMap<>(Phase.class);
            phases.putAll(total.phases());
            again.phases().forEach((phase, time) -> phases.merge(phase, time, Duration::plus));
            total = new Result(outcomes, verified, total.seals() + again.seals(), total.backtests() + again.backtests(), phases);
        }
    }

    /**
     * Waits until the run of every verified checkpoint is sealed; answers the scenarios whose run was declared LOST
     * meanwhile (their checkpoints are removed, so they run again).
     */
    private List<String> awaitSealed(List<SweepCheckpoints.Checkpoint> verified) throws InterruptedException {
        List<String> lost = new ArrayList<>();
        SweepCheckpoints checkpoints = new SweepCheckpoints(client.state());
        long deadline = System.nanoTime() + SEAL_WAIT.toNanos();
        for (SweepCheckpoints.Checkpoint checkpoint : verified) {
            while (true) {
                Run run = client.artifacts().getRun(checkpoint.runId()).orElseThrow(() -> new IllegalStateException(
                        "scenario " + checkpoint.scenarioId() + " is recorded as run " + checkpoint.runId() + ", which the daemon does not know"));
                if (!run.getResultArtifactId().isEmpty()) {
                    break;
                }
                if (run.getStatus() == RunStatus.RUN_STATUS_LOST) {
                    checkpoints.forgetLost(spec.sweepId(), checkpoint.scenarioId(), run.getRunId());
                    lost.add(checkpoint.scenarioId());
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("scenario " + checkpoint.scenarioId() + " is recorded as run " + run.getRunId()
                            + ", which finished but was not sealed within " + SEAL_WAIT.toMinutes() + " minutes");
                }
                java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        return lost;
    }

    private Result runOnce(List<String> scenarioIds) throws InterruptedException, IOException {
        SweepSimulator simulator = new SweepSimulator(spec);
        Map<String, Scenario> byId = new java.util.HashMap<>();
        for (Scenario scenario : simulator.scenarios()) {
            byId.put(scenario.id(), scenario);
        }
        SweepCheckpoints checkpoints = new SweepCheckpoints(client.state());
        List<SweepCheckpoints.Checkpoint> verified = new ArrayList<>();
        List<Scenario> todo = new ArrayList<>();
        for (String id : scenarioIds) {
            Scenario scenario = byId.get(id);
            if (scenario == null) {
                throw new IllegalArgumentException("sweep " + spec.sweepId() + " has no scenario " + id);
            }
            Optional<SweepCheckpoints.Checkpoint> done = checkpoints.get(spec.sweepId(), id).flatMap(this::verify);
            if (done.isPresent()) {
                verified.add(done.get());
            }
            else {
                todo.add(scenario);
            }
        }
        PhaseTimings timings = new PhaseTimings();
        ProgressReporter quiet = new ProgressReporter("backtests", (long) todo.size() * calls.size(), ProgressReporter.Mode.OFF,
                new PrintWriter(Writer.nullWriter()));
        ScenarioUploader uploads = new ScenarioUploader(client.artifacts(), checkpoints, spec, alertsArtifactId,
                new RunParams(spec, alertsArtifactId, metadata), Clock.systemUTC(), calls, SweepListener.NONE, quiet,
                Math.max(1, todo.size()), timings);
        if (todo.isEmpty()) {
            return new Result(List.of(), verified, 0, 0, timings.snapshot());
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(spec.parallelism(), uploadStreams), runnable -> {
            Thread thread = new Thread(runnable, "shard-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            ScenarioResults[] results = new ScenarioResults[simulator.scenarios().size()];
            for (Scenario scenario : todo) {
                results[scenario.index()] = new ScenarioResults(spec.sweepId(), scenario, calls, spec.notionalUsd());
            }
            TreeSet<Integer> intervals = new TreeSet<>();
            todo.forEach(scenario -> intervals.add(scenario.intervalIndex()));
            IntervalSimulation simulation = new IntervalSimulation(candles);
            for (int interval : intervals) {
                long start = System.nanoTime();
                simulation.simulate(simulator, interval, calls, results, pool, timings);
                timings.add(Phase.CANDLES_AND_SIMULATION, start);
            }
            // Each pass takes the leases nobody holds and uploads those scenarios as one wave; scenarios another attempt
            // holds are asked for again until that attempt records them (verified here) or its lease lapses.
            List<Scenario> remaining = new ArrayList<>(todo);
            while (!remaining.isEmpty()) {
                List<ScenarioLeases.Owned> owned = new ArrayList<>();
                List<Scenario> held = new ArrayList<>();
                try {
                    List<ScenarioResults> wave = new ArrayList<>();
                    for (Scenario scenario : remaining) {
                        Optional<ScenarioLeases.Claim> claim = leases.tryClaim(spec.sweepId(), scenario.id());
                        if (claim.isEmpty()) {
                            held.add(scenario);
                        }
                        else if (claim.get() instanceof ScenarioLeases.Finished finished) {
                            Optional<SweepCheckpoints.Checkpoint> done = verify(finished.checkpoint());
                            if (done.isPresent()) {
                                verified.add(done.get());
                            }
                            else {
                                // Its run was lost with its daemon: the checkpoint is gone, so the next pass claims it.
                                held.add(scenario);
                            }
                        }
                        else {
                            owned.add((ScenarioLeases.Owned) claim.get());
                            wave.add(results[scenario.index()]);
                        }
                    }
                    if (!wave.isEmpty()) {
                        upload(wave, uploads, pool);
                    }
                }
                finally {
                    owned.forEach(ScenarioLeases.Owned::close);
                }
                if (!held.isEmpty() && owned.isEmpty()) {
                    java.util.concurrent.TimeUnit.MILLISECONDS.sleep(leases.retryDelay().toMillis());
                }
                remaining = held;
            }
        }
        finally {
            uploads.stop();
            pool.shutdownNow();
        }
        return new Result(uploads.outcomes(), verified, uploads.seals(), uploads.backtests(), timings.snapshot());
    }

    /**
     * One wave through the runner's uploader, as its WaveUpload does it: BatchCreateRuns, one AppendRunRows stream per
     * run ({@code uploadStreams} at once), then BatchFinishRuns (DEFER) and the checkpoints, and the last run that still
     * needs a finish alone with SWEEP, sealing the sweep's finished runs.
     */
    private void upload(List<ScenarioResults> wave, ScenarioUploader uploads, ExecutorService pool)
            throws InterruptedException, IOException {
        List<ScenarioUploader.Upload> batch = wave.stream().map(ScenarioUploader.Upload::new).toList();
        uploads.createRuns(batch);
        java.util.concurrent.Semaphore streams = new java.util.concurrent.Semaphore(uploadStreams);
        List<Future<?>> sent = new ArrayList<>();
        for (ScenarioUploader.Upload upload : batch) {
            streams.acquire();
            sent.add(pool.submit(() -> {
                try {
                    uploads.sendRows(upload);
                }
                finally {
                    streams.release();
                }
                return null;
            }));
        }
        for (Future<?> future : sent) {
            await(future);
        }
        Optional<ScenarioUploader.Upload> sealer = Optional.empty();
        for (ScenarioUploader.Upload upload : batch) {
            if (upload.toFinish()) {
                sealer = Optional.of(upload);
            }
        }
        uploads.finishAll(batch, sealer);
    }

    /**
     * A checkpoint stands for a SUCCEEDED run holding one row per call; anything else is an error, never skipped silently.
     * One exception: a run a cluster declared LOST (its daemon died before sealing it) has its checkpoint removed and
     * the scenario runs again (empty).
     */
    private Optional<SweepCheckpoints.Checkpoint> verify(SweepCheckpoints.Checkpoint checkpoint) {
        Run run = client.artifacts().getRun(checkpoint.runId()).orElseThrow(() -> new IllegalStateException(
                "scenario " + checkpoint.scenarioId() + " is recorded as run " + checkpoint.runId() + ", which the daemon does not know"));
        if (run.getStatus() == RunStatus.RUN_STATUS_LOST) {
            new SweepCheckpoints(client.state()).forgetLost(spec.sweepId(), checkpoint.scenarioId(), run.getRunId());
            return Optional.empty();
        }
        if (run.getStatus() != RunStatus.RUN_STATUS_SUCCEEDED || run.getRowCount() != calls.size()) {
            throw new IllegalStateException("scenario " + checkpoint.scenarioId() + " is recorded as run " + run.getRunId()
                    + ", which is " + run.getStatus() + " with " + run.getRowCount() + " rows (expected SUCCEEDED with "
                    + calls.size() + ")");
        }
        return Optional.of(checkpoint);
    }

    private static void await(Future<?> future) throws InterruptedException, IOException {
        try {
            future.get();
        }
        catch (ExecutionException e) {
            IntervalSimulation.rethrow(e.getCause());
        }
    }
}
