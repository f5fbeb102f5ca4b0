package io.quantbot.sweep.cli;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.PublishHeader;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.sweep.candles.CandleFetchPlan;
import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.optimize.OptimizeSpec;
import io.quantbot.sweep.optimize.OptimizeSpecLoader;
import io.quantbot.sweep.optimize.Optimizer;
import io.quantbot.sweep.optimize.TrialRows;
import io.quantbot.sweep.optimize.TrialStore;
import io.quantbot.sweep.output.Listing;
import io.quantbot.sweep.output.ListingRenderer;
import io.quantbot.sweep.output.OutputFormat;
import io.quantbot.sweep.output.TablePrinter;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.CallsNotFoundException;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.simulation.Backtester;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.simulation.TradeCosts;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sweep-runner optimize SPEC.yaml}: searches exit policies per caller group with walk-forward folds, through
 * the ports: calls and candles come from the daemon (ArtifactPort), finished trials are recorded batch by batch in
 * StatePort (a rerun continues where it stopped, with the same trials as an uninterrupted run), and each group's
 * trials are published as one {@code optimize_trials} artifact. No process is started; the daemon's Python spawn
 * count is checked as for {@code run}.
 */
@Command(name = "optimize",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Searches take-profit, stop-loss, trailing-stop and time-exit levels per caller with walk-forward folds"
                + " (train on fold k's earlier calls, score on the next block), with a grid, random or TPE sampler, a budget in"
                + " trials and median pruning. Prints the best policies per group with their out-of-sample scores beside the"
                + " in-sample ones, and stores one row per trial and fold as an optimize_trials artifact.",
            "Rerun the same command after an interruption: recorded trials are replayed, not recomputed."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE,
            ExitCodes.INTERRUPTED_LINE})
final class OptimizeCommand implements java.util.concurrent.Callable<Integer> {
    static final String ARTIFACT_TYPE = "optimize_trials";

    /** Hears every recorded batch (tests interrupt an optimize through it). */
    interface BatchObserver {
        BatchObserver NONE = (group, trialsDone) -> {};

        void recorded(String group, int trialsDone);
    }

    @Spec
    CommandSpec spec;

    @Mixin
    DaemonOptions daemon;

    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The optimize file (a sweep file with an optimize section).")
    Path file;

    @Option(names = "--output", paramLabel = "FORMAT", description = "table, json or csv (default: table).")
    OutputFormat output = OutputFormat.TABLE;

    @Option(names = "--no-progress", description = "Plain progress lines instead of a redrawn bar.")
    boolean noProgress;

    private final BatchObserver observer;

    OptimizeCommand() {
        this(BatchObserver.NONE);
    }

    OptimizeCommand(BatchObserver observer) {
        this.observer = observer;
    }

    @Override
    public Integer call() throws Exception {
        OptimizeSpec optimize = new OptimizeSpecLoader(new SweepSpecLoader()).load(file);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        try (QuantbotStorageClient client = daemon.client()) {
            return execute(client, optimize, out, err);
        }
        catch (UnavailableException e) {
            throw SweepExecution.unreachable(daemon.target, e);
        }
    }

    private int execute(QuantbotStorageClient client, OptimizeSpec optimize, PrintWriter out, PrintWriter err) throws Exception {
        ServerInfo before = SweepExecution.serverInfo(client, daemon.target);
        TrialStore store = new TrialStore(client.state(), optimize.optimizeId());
        if (!store.claim(optimize.specHash())) {
            throw new UsageException("optimize id '" + optimize.optimizeId() + "' was used before with other settings; give this file its own"
                    + " optimize.id (a rerun with the same settings continues where it stopped)");
        }
        SweepSpec sweep = optimize.sweep();
        Artifact alerts;
        try {
            alerts = CallsArtifacts.resolve(client.artifacts(), sweep.calls());
        }
        catch (CallsNotFoundException e) {
            throw new UsageException(e.getMessage());
        }
        List<Call> calls = new SweepCalls(CallsArtifacts.load(client.artifacts(), alerts)).asList();
        Map<String, List<Integer>> groups = groups(optimize, calls);
        List<String> skipped = new ArrayList<>();
        groups.entrySet().removeIf(group -> {
            if (group.getValue().size() < optimize.minCalls()) {
                skipped.add(group.getKey() + " (" + group.getValue().size() + ")");
                return true;
            }
            return false;
        });
        err.println(String.format(Locale.ROOT, "optimize %s: %s sampler, %,d trials × %d folds per group, %d group%s of %,d calls (%s)%s",
                optimize.optimizeId(), optimize.sampler(), optimize.trials(), optimize.folds(), groups.size(), groups.size() == 1 ? "" : "s",
                calls.size(), optimize.groupBy().equals(OptimizeSpec.GROUP_CALLER) ? "by caller" : "all calls",
                skipped.isEmpty() ? "" : "; fewer than " + optimize.minCalls() + " calls, skipped: " + String.join(", ", skipped)));
        if (groups.isEmpty()) {
            throw new UsageException("no group has at least optimize.min_calls = " + optimize.minCalls() + " calls");
        }

        long fetchStart = System.nanoTime();
        CandleSeries[] series = fetchCandles(client, sweep, calls);
        err.println(String.format(Locale.ROOT, "candles for %,d calls in %.2f s", calls.size(), (System.nanoTime() - fetchStart) / 1e9));

        Backtester backtester = new Backtester(new TradeCosts(sweep.takerFeeBps(), sweep.slippageBps(), sweep.notionalUsd()),
                sweep.timeFrameMillis(), sweep.entryRule());
        long lag = sweep.entryLagsMillis().get(0);
        Optimizer.Settings settings = new Optimizer.Settings(optimize.trials(), optimize.batchSize(), optimize.pruneAfterTrials());
        ProgressReporter progress = new ProgressReporter("trials", (long) optimize.trials() * groups.size(),
                ProgressReporter.detectMode(noProgress), err);
        Map<String, List<Optimizer.Trial>> results = new LinkedHashMap<>();
        long replayed = 0;
        long started = System.nanoTime();
        ExecutorService executor = Executors.newFixedThreadPool(sweep.parallelism(), runnable -> {
            Thread thread = new Thread(runnable, "optimize");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
                String name = group.getKey();
                List<Call> groupCalls = new ArrayList<>();
                List<CandleSeries> groupSeries = new ArrayList<>();
                for (int index : group.getValue()) {
                    groupCalls.add(calls.get(index));
                    groupSeries.add(series[index]);
                }
                Optimizer optimizer = new Optimizer(backtester, optimize.space(), groupCalls, groupSeries, lag, optimize.folds());
                List<Optimizer.Trial> done = store.load(name, optimize.space());
                replayed += done.size();
                progress.advance(done.size());
                Consumer<List<Optimizer.Trial>> onBatch = batch -> {
                    store.record(name, batch.get(0).number() / optimize.batchSize(), batch);
                    progress.advance(batch.size());
                    for (Optimizer.Trial trial : batch) {
                        if (!trial.pruned()) {
                            progress.offerBest(name + " " + trial.policy().name(), trial.score(), String.format(Locale.ROOT, "%+.2f%%",
                                    100 * trial.score()));
                        }
                    }
                    observer.recorded(name, batch.get(batch.size() - 1).number() + 1);
                };
                List<Optimizer.Trial> trials = optimizer.run(optimize.newSampler(), settings, executor, done, onBatch);
                results.put(name, trials);
                publish(client, optimize, name, trials);
            }
        }
        finally {
            executor.shutdownNow();
            progress.finish();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long computed = (long) optimize.trials() * groups.size() - replayed;
        err.println(String.format(Locale.ROOT, "%,d trials computed (%,d replayed from StatePort) in %.2f s: %,.0f trials/s, %,.0f fold"
                        + " evaluations/s", computed, replayed, seconds, computed / Math.max(seconds, 1e-9),
                computed * optimize.folds() / Math.max(seconds, 1e-9)));
        ListingRenderer renderer = new ListingRenderer(new TablePrinter());
        out.print(renderer.render(summary(results), output));
        for (Map.Entry<String, List<Optimizer.Trial>> group : results.entrySet()) {
            out.print(renderer.render(leaderboard(group.getKey(), group.getValue(), optimize.top()), output));
        }
        out.flush();
        ServerInfo after = SweepExecution.serverInfo(client, daemon.target);
        long spawns = after.getWorkerSpawnCount() - before.getWorkerSpawnCount();
        err.println("python worker spawns during optimize: " + spawns);
        err.flush();
        if (spawns > 0) {
            err.println("error: the daemon spawned " + spawns + " Python worker(s) during the optimize; it must not");
            return ExitCodes.RUN_FAILED;
        }
        return ExitCodes.OK;
    }

    /** Groups in a stable order: by caller (code point order), or one group "all". */
    private static Map<String, List<Integer>> groups(OptimizeSpec optimize, List<Call> calls) {
        Map<String, List<Integer>> groups = new TreeMap<>(SweepCalls.CODE_POINT_ORDER);
        for (int index = 0; index < calls.size(); index++) {
            String key = optimize.groupBy().equals(OptimizeSpec.GROUP_CALLER) ? calls.get(index).caller() : "all";
            groups.computeIfAbsent(key, ignored -> new ArrayList<>()).add(index);
        }
        return new LinkedHashMap<>(groups);
    }

    /** Each call's candles once (overlapping reads on one token merged), for every group and trial. */
    private static CandleSeries[] fetchCandles(QuantbotStorageClient client, SweepSpec sweep, List<Call> calls) {
        SweepSimulator simulator = new SweepSimulator(sweep);
        List<CandleRequest> perCall = new ArrayList<>(calls.size());
        for (Call call : calls) {
            perCall.add(simulator.candleRequest(call, 0));
        }
        SdkCandleSource candles = new SdkCandleSource(client.artifacts());
        CandleSeries[] series = new CandleSeries[calls.size()];
        List<CandleFetchPlan.Group> plan = CandleFetchPlan.plan(perCall);
        for (int from = 0; from < plan.size(); from += candles.maxBatchSize()) {
            List<CandleFetchPlan.Group> batch = plan.subList(from, Math.min(plan.size(), from + candles.maxBatchSize()));
            List<CandleSeries> fetched = candles.fetch(batch.stream().map(CandleFetchPlan.Group::request).toList());
            for (int index = 0; index < batch.size(); index++) {
                for (int slot : batch.get(index).members()) {
                    CandleRequest own = perCall.get(slot);
                    series[slot] = CandleFetchPlan.slice(fetched.get(index), own.fromMillis(), own.toMillis());
                }
            }
        }
        return series;
    }

    private static void publish(QuantbotStorageClient client, OptimizeSpec optimize, String group, List<Optimizer.Trial> trials) {
        PublishHeader header = PublishHeader.newBuilder()
                .setType(ARTIFACT_TYPE)
                .setLogicalKey("optimize=" + optimize.optimizeId() + "/group=" + group)
                .putTags("optimize_id", optimize.optimizeId())
                .putTags("group_key", group)
                .putTags("sampler", optimize.sampler())
                .setSupersedeExisting(true)
                .build();
        PublishArtifactResponse response = client.artifacts().publishArtifact(header,
                List.of(TrialRows.of(optimize.optimizeId(), group, optimize.sampler(), trials)));
        if (response.getArtifact().getId().isEmpty()) {
            throw new IllegalStateException("publishing the trials of group " + group + " returned no artifact");
        }
    }

    private static Listing summary(Map<String, List<Optimizer.Trial>> results) {
        List<List<Object>> rows = new ArrayList<>();
        for (Map.Entry<String, List<Optimizer.Trial>> group : results.entrySet()) {
            List<Optimizer.Trial> trials = group.getValue();
            Optimizer.Trial best = Optimizer.leaderboard(trials, 1).get(0);
            long pruned = trials.stream().filter(Optimizer.Trial::pruned).count();
            rows.add(new ArrayList<>(List.of(group.getKey(), (long) trials.size(), pruned, best.policy().name(), best.score(),
                    best.outOfSampleMean(), best.score() - best.outOfSampleMean())));
        }
        return new Listing("best policy per group (in-sample score = mean net return over the folds' training calls;"
                + " out-of-sample = the same policy on each fold's next block)", List.of(
                new Listing.Column("group", Listing.Kind.TEXT), new Listing.Column("trials", Listing.Kind.INTEGER),
                new Listing.Column("pruned", Listing.Kind.INTEGER), new Listing.Column("best_policy", Listing.Kind.TEXT),
                new Listing.Column("in_sample", Listing.Kind.RETURN), new Listing.Column("out_of_sample", Listing.Kind.RETURN),
                new Listing.Column("overfit_gap", Listing.Kind.RETURN)), rows);
    }

    private static Listing leaderboard(String group, List<Optimizer.Trial> trials, int top) {
        List<List<Object>> rows = new ArrayList<>();
        int rank = 1;
        for (Optimizer.Trial trial : Optimizer.leaderboard(trials, top)) {
            double oosWin = trial.folds().stream().mapToDouble(fold -> fold.outOfSample().winRate()).filter(v -> !Double.isNaN(v))
                    .average().orElse(Double.NaN);
            rows.add(new ArrayList<>(List.of((long) rank++, (long) trial.number(), trial.policy().takeProfitPct(),
                    trial.policy().stopLossPct(), trial.policy().trailingPct(), trial.policy().timeExitMinutes(), trial.score(),
                    trial.outOfSampleMean(), oosWin, (long) trial.folds().size(), trial.pruned() ? "pruned" : "")));
        }
        return new Listing("top " + top + " policies of " + group, List.of(
                new Listing.Column("rank", Listing.Kind.INTEGER), new Listing.Column("trial", Listing.Kind.INTEGER),
                new Listing.Column("take_profit_pct", Listing.Kind.DECIMAL), new Listing.Column("stop_loss_pct", Listing.Kind.DECIMAL),
                new Listing.Column("trailing_pct", Listing.Kind.DECIMAL), new Listing.Column("time_exit_min", Listing.Kind.INTEGER),
                new Listing.Column("in_sample", Listing.Kind.RETURN), new Listing.Column("out_of_sample", Listing.Kind.RETURN),
                new Listing.Column("oos_win_rate", Listing.Kind.PERCENT), new Listing.Column("folds", Listing.Kind.INTEGER),
                new Listing.Column("note", Listing.Kind.TEXT)), rows);
    }
}
