package io.quantbot.sweep.local;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a whole sweep in memory: no daemon, no I/O beyond the {@link CandleSource}. Work is split into
 * blocks of calls; each block fetches its candles in one batch (one request per call and interval, as
 * BatchGetCandles takes them), and each series is replayed for every lag × overlay set of its
 * interval. With a {@code SnapshotCandleSource} this is the in-process baseline for benchmarks.
 */
public final class LocalSweep {
    /** Calls per task: big enough to amortise scheduling, small enough to balance two cores. */
    private static final int CALLS_PER_TASK = 16;

    private final SweepSpec spec;
    private final SweepSimulator simulator;

    public LocalSweep(SweepSpec spec) {
        this.spec = requireNonNull(spec, "spec is null");
        this.simulator = new SweepSimulator(spec);
    }

    public long backtestCount(int calls) {
        return (long) calls * spec.scenarioCount();
    }

    public LocalSweepResult run(List<Call> callList, CandleSource candles, ProgressReporter progress)
            throws IOException, InterruptedException {
        requireNonNull(callList, "callList is null");
        requireNonNull(candles, "candles is null");
        requireNonNull(progress, "progress is null");
        SweepCalls calls = new SweepCalls(callList);
        List<Scenario> scenarios = simulator.scenarios();
        ScenarioResults[] results = new ScenarioResults[scenarios.size()];
        for (Scenario scenario : scenarios) {
            results[scenario.index()] = new ScenarioResults(spec.sweepId(), scenario, calls, spec.notionalUsd());
        }
        BestTracker best = new BestTracker(scenarios);
        List<CandleInterval> intervals = spec.intervals();

        long start = System.nanoTime();
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(spec.parallelism(), runnable -> {
            Thread thread = new Thread(runnable, "sweep-local-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Callable<Long>> tasks = new ArrayList<>();
            int callsPerTask = Math.max(1, Math.min(CALLS_PER_TASK, candles.maxBatchSize() / intervals.size()));
            for (int from = 0; from < calls.size(); from += callsPerTask) {
                int first = from;
                int last = Math.min(calls.size(), from + callsPerTask);
                tasks.add(() -> {
                    double[] sums = new double[results.length];
                    long[] counts = new long[results.length];
                    long done = 0;
                    List<CandleRequest> requests = new ArrayList<>((last - first) * intervals.size());
                    for (int slot = first; slot < last; slot++) {
                        for (int intervalIndex = 0; intervalIndex < intervals.size(); intervalIndex++) {
                            requests.add(simulator.candleRequest(calls.get(slot), intervalIndex));
                        }
                    }
                    List<CandleSeries> fetched = candles.fetch(requests);
                    for (int slot = first; slot < last; slot++) {
                        Call call = calls.get(slot);
                        int callSlot = slot;
                        for (int intervalIndex = 0; intervalIndex < intervals.size(); intervalIndex++) {
                            CandleSeries series = fetched.get((slot - first) * intervals.size() + intervalIndex);
                            done += simulator.simulate(intervalIndex, call, series, (scenario, outcome) -> {
                                results[scenario.index()].record(callSlot, outcome);
                                if (outcome.tradeable()) {
                                    sums[scenario.index()] += outcome.netReturn();
                                    counts[scenario.index()]++;
                                }
                            });
                        }
                        if (Thread.interrupted()) {
                            throw new InterruptedException("sweep interrupted");
                        }
                    }
                    best.merge(sums, counts, progress);
                    progress.advance(done);
                    return done;
                });
            }
            long backtests = 0;
            for (Future<Long> future : executor.invokeAll(tasks)) {
                backtests += future.get();
            }
            progress.finish();
            return new LocalSweepResult(calls, List.of(results), backtests, Duration.ofNanos(System.nanoTime() - start));
        }
        catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("simulation task failed", cause);
        }
        finally {
            executor.shutdownNow();
        }
    }

    /** Running mean net return per scenario, merged per task, to show the best scenario so far. */
    private static final class BestTracker {
        private final List<Scenario> scenarios;
        private final double[] sums;
        private final long[] counts;

        BestTracker(List<Scenario> scenarios) {
            this.scenarios = scenarios;
            this.sums = new double[scenarios.size()];
            this.counts = new long[scenarios.size()];
        }

        synchronized void merge(double[] taskSums, long[] taskCounts, ProgressReporter progress) {
            int bestIndex = -1;
            double bestMean = Double.NEGATIVE_INFINITY;
            for (int index = 0; index < sums.length; index++) {
                sums[index] += taskSums[index];
                counts[index] += taskCounts[index];
                if (counts[index] > 0 && sums[index] / counts[index] > bestMean) {
                    bestMean = sums[index] / counts[index];
                    bestIndex = index;
                }
            }
            if (bestIndex >= 0) {
                progress.replaceBest(scenarios.get(bestIndex).id(), String.format(Locale.ROOT, "%+.2f%%", bestMean * 100));
            }
        }
    }
}
