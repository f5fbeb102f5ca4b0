package io.quantbot.sweep.optimize;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.BacktestOutcome;
import io.quantbot.sweep.simulation.Backtester;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.ExitPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Searches exit policies for one group of calls (e.g. one caller) with walk-forward folds: a trial is one policy
 * from the sampler; per fold it is scored on the fold's in-sample calls (mean net return, the objective) and
 * measured on its out-of-sample calls, which the sampler and the pruner never see.
 *
 * <p>Trials run in batches of {@code batchSize} across the executor's threads. The sampler proposes a batch from
 * the trials finished before it, and the median pruner compares with them too, so the trials and every number
 * depend only on the seed and the batch size, not on thread timing.
 *
 * <p>Median pruning: after fold k (from fold 0 on), a trial whose mean in-sample score over folds 0..k is below the
 * median of the finished trials' means over the same folds stops; it needs {@code pruneAfterTrials} finished trials
 * first.
 */
public final class Optimizer {
    /** One trial on one fold: the in-sample and out-of-sample metrics (out-of-sample null when pruned before it). */
    public record FoldResult(int trial, int fold, Policy policy, Metrics inSample, Metrics outOfSample) {}

    /**
     * @param score mean in-sample score over the folds the trial ran (the sampler's objective)
     * @param outOfSampleMean mean out-of-sample mean net return over the folds the trial ran
     */
    public record Trial(int number, double[] unit, Policy policy, List<FoldResult> folds, boolean pruned, double score,
            double outOfSampleMean) {
        public Trial {
            unit = unit.clone();
            folds = List.copyOf(folds);
        }
    }

    public record Settings(int trials, int batchSize, int pruneAfterTrials) {
        public Settings {
            if (trials < 1 || batchSize < 1 || pruneAfterTrials < 1) {
                throw new IllegalArgumentException("trials, batchSize and pruneAfterTrials must be >= 1");
            }
        }
    }

    private final Backtester backtester;
    private final SearchSpace space;
    private final List<Call> calls;
    private final List<CandleSeries> series;
    private final long lagMillis;
    private final List<WalkForwardFolds.Fold> folds;

    /** @param series one candle series per call, in the same order */
    public Optimizer(Backtester backtester, SearchSpace space, List<Call> calls, List<CandleSeries> series,
            long lagMillis, int folds) {
        this.backtester = requireNonNull(backtester, "backtester is null");
        this.space = requireNonNull(space, "space is null");
        this.calls = List.copyOf(calls);
        this.series = List.copyOf(series);
        if (this.calls.size() != this.series.size()) {
            throw new IllegalArgumentException("one series per call is required");
        }
        this.lagMillis = lagMillis;
        this.folds = WalkForwardFolds.of(this.calls, folds);
    }

    public List<WalkForwardFolds.Fold> folds() {
        return folds;
    }

    /** Runs {@code settings.trials()} trials; {@code done} holds trials already finished (a resume), in order. */
    public List<Trial> run(Sampler sampler, Settings settings, ExecutorService executor, List<Trial> done)
            throws InterruptedException {
        return run(sampler, settings, executor, done, batch -> {});
    }

    /**
     * As {@link #run(Sampler, Settings, ExecutorService, List)}, handing each finished batch to {@code onBatch}
     * (in trial order, on the calling thread) before the next batch starts: where a caller records its progress,
     * so that a run continued from the recorded trials equals an uninterrupted one.
     */
    public List<Trial> run(Sampler sampler, Settings settings, ExecutorService executor, List<Trial> done,
            java.util.function.Consumer<List<Trial>> onBatch) throws InterruptedException {
        requireNonNull(sampler, "sampler is null");
        requireNonNull(onBatch, "onBatch is null");
        List<Trial> finished = new ArrayList<>(done);
        while (finished.size() < settings.trials()) {
            int first = finished.size();
            int count = Math.min(settings.batchSize(), settings.trials() - first);
            List<Sampler.Observation> history = finished.stream()
                    .map(trial -> new Sampler.Observation(trial.unit(), trial.score())).toList();
            double[][] medians = medians(finished, settings.pruneAfterTrials());
            List<Callable<Trial>> batch = new ArrayList<>(count);
            for (int number = first; number < first + count; number++) {
                double[] unit = sampler.propose(number, history);
                int trialNumber = number;
                batch.add(() -> evaluate(trialNumber, unit, medians));
            }
            List<Trial> results = new ArrayList<>(count);
            for (Future<Trial> future : executor.invokeAll(batch)) {
                try {
                    results.add(future.get());
                }
                catch (ExecutionException e) {
                    throw new IllegalStateException("trial failed", e.getCause());
                }
            }
            onBatch.accept(List.copyOf(results));
            finished.addAll(results);
        }
        return finished;
    }

    /** medians[k] = the median over finished, unpruned-at-k trials of their mean in-sample score over folds 0..k. */
    private double[][] medians(List<Trial> finished, int pruneAfterTrials) {
        double[][] medians = new double[folds.size()][];
        for (int fold = 0; fold < folds.size(); fold++) {
            List<Double> values = new ArrayList<>();
            for (Trial trial : finished) {
                if (trial.folds().size() > fold) {
                    values.add(runningMean(trial.folds(), fold));
                }
            }
            if (values.size() >= pruneAfterTrials) {
                double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                int n = sorted.length;
                medians[fold] = new double[] {n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2};
            }
        }
        return medians;
    }

    private static double runningMean(List<FoldResult> results, int lastFold) {
        double sum = 0;
        for (int fold = 0; fold <= lastFold; fold++) {
            sum += objective(results.get(fold).inSample());
        }
        return sum / (lastFold + 1);
    }

    /** The objective of a fold: in-sample mean net return; a policy that never trades scores -1 (a full loss). */
    private static double objective(Metrics metrics) {
        return metrics.trades() == 0 ? -1 : metrics.mean();
    }

    private Trial evaluate(int number, double[] unit, double[][] medians) {
        Policy policy = space.policy(unit);
        ExitPlan plan = ExitPlan.of(policy.overlaySet());
        BacktestOutcome outcome = new BacktestOutcome();
        List<FoldResult> results = new ArrayList<>(folds.size());
        boolean pruned = false;
        double outOfSampleSum = 0;
        for (WalkForwardFolds.Fold fold : folds) {
            Metrics inSample = measure(fold.inSample(), plan, outcome);
            Metrics outOfSample = measure(fold.outOfSample(), plan, outcome);
            results.add(new FoldResult(number, fold.index(), policy, inSample, outOfSample));
            outOfSampleSum += outOfSample.trades() == 0 ? 0 : outOfSample.mean();
            double[] median = medians[fold.index()];
            if (median != null && runningMean(results, fold.index()) < median[0] && fold.index() < folds.size() - 1) {
                pruned = true;
                break;
            }
        }
        return new Trial(number, unit, policy, results, pruned, runningMean(results, results.size() - 1),
                outOfSampleSum / results.size());
    }

    private Metrics measure(List<Integer> indexes, ExitPlan plan, BacktestOutcome outcome) {
        double[] returns = new double[indexes.size()];
        int trades = 0;
        for (int index : indexes) {
            Call call = calls.get(index);
            backtester.backtest(call.timestampMillis(), call.price(), series.get(index), lagMillis, plan, outcome);
            if (outcome.tradeable()) {
                returns[trades++] = outcome.netReturn();
            }
        }
        return Metrics.of(indexes.size(), returns, trades);
    }

    /** The best {@code n} trials by in-sample score (pruned ones last), each with its out-of-sample mean beside it. */
    public static List<Trial> leaderboard(List<Trial> trials, int n) {
        return trials.stream()
                .sorted(Comparator.comparing(Trial::pruned)
                        .thenComparing(Comparator.comparingDouble(Trial::score).reversed())
                        .thenComparingInt(Trial::number))
                .limit(n)
                .toList();
    }
}
