package io.quantbot.sweep.cli;

import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardCalculator;
import io.quantbot.sweep.local.LocalSweep;
import io.quantbot.sweep.local.LocalSweepResult;
import io.quantbot.sweep.output.LeaderboardPrinter;
import io.quantbot.sweep.output.LeaderboardSort;
import io.quantbot.sweep.output.OutputFormat;
import io.quantbot.sweep.output.TablePrinter;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.snapshot.Snapshot;
import io.quantbot.sweep.snapshot.SnapshotCandleSource;
import io.quantbot.sweep.snapshot.SnapshotReader;
import io.quantbot.sweep.spec.InvalidSweepSpecException;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "simulate-local",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Runs a sweep entirely in memory over a snapshot folder (no daemon) and prints leaderboards.",
            "The calls come from the folder; the sweep file's calls entry is not used. Progress and timing go to "
                + "stderr, leaderboards to stdout."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE,
            ExitCodes.INTERRUPTED_LINE})
final class SimulateLocalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The sweep file.")
    Path sweepFile;

    @Option(names = "--snapshot", required = true, paramLabel = "DIR",
            description = "Snapshot folder (candles/*.csv, calls/*.csv), e.g. from generate-snapshot.")
    Path snapshotFolder;

    @Option(names = "--leaderboard", split = ",", paramLabel = "NAME",
            description = "Leaderboards to print: by_overlay, by_lag_interval, by_caller, by_scenario, overall "
                    + "(default: by_overlay,by_lag_interval,by_caller,overall).")
    List<String> leaderboards = List.of(LeaderboardCalculator.BY_OVERLAY, LeaderboardCalculator.BY_LAG_INTERVAL,
            LeaderboardCalculator.BY_CALLER, LeaderboardCalculator.OVERALL);

    @Option(names = "--top", paramLabel = "N", description = "Rows per leaderboard, 0 for all (default: ${DEFAULT-VALUE}).")
    int top = 10;

    @Option(names = "--sort", paramLabel = "STAT",
            description = "mean, p5, p50, p95, win_rate, count or skipped, best first (default: mean).")
    LeaderboardSort sort = LeaderboardSort.MEAN;

    @Option(names = "--output", paramLabel = "FORMAT", description = "table, json or csv (default: table).")
    OutputFormat output = OutputFormat.TABLE;

    @Option(names = "--parallelism", paramLabel = "N", description = "Threads; overrides the sweep file's parallelism.")
    Integer parallelism;

    @Option(names = "--no-progress", description = "Plain progress lines instead of a redrawn bar.")
    boolean noProgress;

    @Override
    public Integer call() throws IOException, InterruptedException, InvalidSweepSpecException, UsageException {
        for (String name : leaderboards) {
            if (!LeaderboardCalculator.NAMES.contains(name)) {
                throw new UsageException("unknown leaderboard '" + name + "' (known: "
                        + String.join(", ", LeaderboardCalculator.NAMES) + ")");
            }
        }
        if (top < 0) {
            throw new UsageException("--top must be >= 0");
        }
        if (parallelism != null && parallelism < 1) {
            throw new UsageException("--parallelism must be >= 1");
        }
        SweepSpec sweep = ValidateCommand.load(sweepFile);
        if (parallelism != null) {
            sweep = new SweepSpec(sweep.sweepId(), sweep.calls(), sweep.intervals(), sweep.entryLagsMillis(),
                    sweep.overlaySets(), sweep.takerFeeBps(), sweep.slippageBps(), sweep.notionalUsd(),
                    sweep.timeFrameMillis(), parallelism, sweep.chunkRows());
        }
        if (!Files.isDirectory(snapshotFolder)) {
            throw new UsageException("snapshot folder " + snapshotFolder + " does not exist");
        }
        PrintWriter err = spec.commandLine().getErr();

        long readStart = System.nanoTime();
        Snapshot snapshot = new SnapshotReader(sweep.parallelism()).read(snapshotFolder);
        double readSeconds = (System.nanoTime() - readStart) / 1e9;
        err.println(String.format(Locale.ROOT, "read %,d calls and %,d series from %s in %.2f s",
                snapshot.calls().size(), snapshot.seriesCount(), snapshotFolder, readSeconds));
        err.flush();

        LocalSweep sweepRun = new LocalSweep(sweep);
        long total = sweepRun.backtestCount(snapshot.calls().size());
        ProgressReporter progress = new ProgressReporter("backtests", total,
                ProgressReporter.detectMode(noProgress), err);
        LocalSweepResult result = sweepRun.run(snapshot.calls(), new SnapshotCandleSource(snapshot), progress);
        err.println(String.format(Locale.ROOT,
                "simulated %,d backtests (%d scenarios × %,d calls) on %d threads in %.3f s: %,.0f backtests/s",
                result.backtests(), sweep.scenarioCount(), result.calls().size(), sweep.parallelism(),
                result.elapsed().toNanos() / 1e9, result.backtestsPerSecond()));
        err.flush();

        List<Leaderboard> computed = new ArrayList<>();
        for (String name : leaderboards) {
            computed.add(LeaderboardCalculator.compute(name, result.scenarios()));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(new LeaderboardPrinter(new TablePrinter(), sort, top).render(computed, output));
        out.flush();
        return ExitCodes.OK;
    }
}
