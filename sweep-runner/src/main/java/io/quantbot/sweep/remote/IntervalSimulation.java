package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.candles.CandleFetchPlan;
import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.SweepSimulator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The simulation side of a remote sweep: per interval, each call's candles are fetched once (BatchGetCandles through
 * the {@link CandleSource}; overlapping ranges on one token merged into one read) and replayed for every lag and
 * overlay set, across the simulation threads.
 */
final class IntervalSimulation {
    /** Merged candle requests per BatchGetCandles: one task of the simulation pool. */
    private static final int GROUPS_PER_FETCH = 16;

    private final CandleSource candles;

    IntervalSimulation(CandleSource candles) {
        this.candles = requireNonNull(candles, "candles is null");
    }

    /**
     * Candles once per call and interval (overlapping ranges of calls on the same token merged into one read,
     * {@link CandleFetchPlan}), each call's series replayed for every lag × overlay set of the interval.
     */
    void simulate(SweepSimulator simulator, int intervalIndex, SweepCalls calls, ScenarioResults[] results,
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

    static void rethrow(Throwable cause) throws InterruptedException, IOException {
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
}
