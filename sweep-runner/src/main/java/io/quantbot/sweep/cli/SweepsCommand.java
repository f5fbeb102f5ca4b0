package io.quantbot.sweep.cli;

import io.quantbot.storage.client.NotFoundException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.GenerateReportResponse;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardCalculator;
import io.quantbot.sweep.output.LeaderboardPrinter;
import io.quantbot.sweep.output.LeaderboardSort;
import io.quantbot.sweep.output.Listing;
import io.quantbot.sweep.output.ListingRenderer;
import io.quantbot.sweep.output.OutputFormat;
import io.quantbot.sweep.output.SweepComparison;
import io.quantbot.sweep.output.TablePrinter;
import io.quantbot.sweep.remote.Leaderboards;
import io.quantbot.sweep.remote.SweepCheckpoints;
import io.quantbot.sweep.remote.SweepRecords;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sweeps}: revisit and compare sweeps through the daemon, without running them again. What a sweep
 * was (spec, status, counts, timings) comes from its record in StatePort ({@link SweepRecords}, written by
 * {@code run} and {@code demo}); its results from AnalyzeSweep and GenerateReport over the sealed runs.
 */
@Command(name = "sweeps",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "List, show, report and compare sweeps recorded in the daemon (no re-run).",
        subcommands = {SweepsCommand.ListSweeps.class, SweepsCommand.Show.class, SweepsCommand.Report.class, SweepsCommand.Compare.class},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE,
            ExitCodes.SWEEP_NOT_FOUND_LINE})
final class SweepsCommand implements Callable<Integer> {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String EXIT_CODES_HEADING = ExitCodes.HEADING;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand (list, show, report or compare)");
    }

    /** The record, or a {@link SweepNotFoundException} naming how to find the known ids. */
    private static Optional<SweepRecords.SweepRecord> record(QuantbotStorageClient client, String sweepId) {
        return new SweepRecords(client.state()).get(sweepId);
    }

    private static SweepNotFoundException notFound(String sweepId) {
        return new SweepNotFoundException("no sweep " + sweepId + ": the daemon has neither a record of it nor sealed results; "
                + "'sweep-runner sweeps list' shows the recorded sweeps");
    }

    /** AnalyzeSweep's leaderboards (all rows), or empty when nothing is sealed yet. */
    private static Optional<List<Leaderboard>> leaderboards(QuantbotStorageClient client, String sweepId) {
        try {
            return Optional.of(Leaderboards.fromProto(client.artifacts().analyzeSweep(AnalyzeSweepRequest.newBuilder()
                    .setSweepId(sweepId).setTopN(10_000).build())));
        }
        catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private static void describeRunning(QuantbotStorageClient client, SweepRecords.SweepRecord record, PrintWriter err) {
        if (record.status() == SweepRecords.Status.RUNNING) {
            int done = new SweepCheckpoints(client.state()).completed(record.sweepId()).size();
            err.println(String.format(Locale.ROOT, "sweep %s is still running (started %s UTC): %d of %d scenarios done; "
                    + "the results cover the runs sealed so far", record.sweepId(), WHEN.format(Instant.ofEpochMilli(record.startedAtMs())),
                    done, record.scenarios()));
        }
    }

    private static <T> T reachable(DaemonOptions daemon, ClientCall<T> call) throws Exception {
        try (QuantbotStorageClient client = daemon.client()) {
            return call.apply(client);
        }
        catch (UnavailableException e) {
            throw SweepExecution.unreachable(daemon.target, e);
        }
    }

    @FunctionalInterface
    private interface ClientCall<T> {
        T apply(QuantbotStorageClient client) throws Exception;
    }

    static List<String> checkLeaderboards(List<String> names) throws UsageException {
        for (String name : names) {
            if (!LeaderboardCalculator.NAMES.contains(name)) {
                throw new UsageException("unknown leaderboard '" + name + "' (known: " + String.join(", ", LeaderboardCalculator.NAMES) + ")");
            }
        }
        return names;
    }

    /** The leaderboard options {@code show} and {@code compare} share. */
    static final class BoardOptions {
        @Option(names = "--leaderboard", split = ",", paramLabel = "NAME",
                description = "Leaderboards: by_overlay, by_lag_interval, by_caller, by_scenario, overall "
                        + "(default: by_overlay,by_lag_interval,by_caller,overall).")
        List<String> leaderboards = List.of(LeaderboardCalculator.BY_OVERLAY, LeaderboardCalculator.BY_LAG_INTERVAL,
                LeaderboardCalculator.BY_CALLER, LeaderboardCalculator.OVERALL);

        @Option(names = "--top", paramLabel = "N", description = "Rows per leaderboard, 0 for all (default: ${DEFAULT-VALUE}).")
        int top = 10;

        @Option(names = "--output", paramLabel = "FORMAT", description = "table, json or csv (default: table).")
        OutputFormat output = OutputFormat.TABLE;

        List<Leaderboard> chosen(List<Leaderboard> all, PrintWriter err) throws UsageException {
            List<Leaderboard> chosen = new ArrayList<>();
            for (String name : checkLeaderboards(leaderboards)) {
                Leaderboards.named(all, name).ifPresentOrElse(chosen::add, () -> err.println("the daemon's AnalyzeSweep has no leaderboard " + name));
            }
            return chosen;
        }

        void check() throws UsageException {
            checkLeaderboards(leaderboards);
            if (top < 0) {
                throw new UsageException("--top must be >= 0");
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "The recorded sweeps, newest first: id, spec, start, scenarios done of all, backtests, status "
                    + "(a running sweep's done count is read live from its checkpoints).",
            exitCodeListHeading = EXIT_CODES_HEADING,
            exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE})
    static final class ListSweeps implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DaemonOptions daemon;

        @Option(names = "--output", paramLabel = "FORMAT", description = "table, json or csv (default: table).")
        OutputFormat output = OutputFormat.TABLE;

        @Override
        public Integer call() throws Exception {
            Listing listing = reachable(daemon, client -> {
                List<List<Object>> rows = new ArrayList<>();
                SweepCheckpoints checkpoints = new SweepCheckpoints(client.state());
                for (SweepRecords.SweepRecord record : new SweepRecords(client.state()).list()) {
                    long done = record.status() == SweepRecords.Status.RUNNING
                            ? checkpoints.completed(record.sweepId()).size()
                            : record.scenariosDone();
                    rows.add(new ArrayList<>(List.of(record.sweepId(), record.specName(), WHEN.format(Instant.ofEpochMilli(record.startedAtMs())),
                            (long) record.scenarios(), done, record.backtests(), record.status().label())));
                }
                return new Listing("sweeps (" + rows.size() + ")", List.of(
                        new Listing.Column("sweep_id", Listing.Kind.TEXT), new Listing.Column("spec", Listing.Kind.TEXT),
                        new Listing.Column("started_utc", Listing.Kind.TEXT), new Listing.Column("scenarios", Listing.Kind.INTEGER),
                        new Listing.Column("done", Listing.Kind.INTEGER), new Listing.Column("backtests", Listing.Kind.INTEGER),
                        new Listing.Column("status", Listing.Kind.TEXT)), rows);
            });
            PrintWriter out = spec.commandLine().getOut();
            if (listing.rows().isEmpty() && output == OutputFormat.TABLE) {
                spec.commandLine().getErr().println("no sweeps recorded yet ('sweep-runner run SPEC.yaml' records one)");
            }
            else {
                out.print(new ListingRenderer(new TablePrinter()).render(listing, output));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "A sweep's leaderboards again (AnalyzeSweep over its sealed runs), with --sort, --top and --output.",
            exitCodeListHeading = EXIT_CODES_HEADING,
            exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE,
                ExitCodes.SWEEP_NOT_FOUND_LINE})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DaemonOptions daemon;

        @Mixin
        BoardOptions boards;

        @Option(names = "--sort", paramLabel = "STAT",
                description = "mean, p5, p50, p95, win_rate, count or skipped, best first (default: mean).")
        LeaderboardSort sort = LeaderboardSort.MEAN;

        @Parameters(paramLabel = "SWEEP_ID", description = "The sweep (see 'sweeps list').")
        String sweepId;

        @Override
        public Integer call() throws Exception {
            boards.check();
            PrintWriter err = spec.commandLine().getErr();
            List<Leaderboard> chosen = reachable(daemon, client -> {
                Optional<SweepRecords.SweepRecord> record = record(client, sweepId);
                Optional<List<Leaderboard>> all = leaderboards(client, sweepId);
                if (record.isEmpty() && all.isEmpty()) {
                    throw notFound(sweepId);
                }
                record.ifPresent(r -> describeRunning(client, r, err));
                if (all.isEmpty()) {
                    err.println("sweep " + sweepId + " has no sealed results yet");
                    return List.of();
                }
                return boards.chosen(all.get(), err);
            });
            PrintWriter out = spec.commandLine().getOut();
            out.print(new LeaderboardPrinter(new TablePrinter(), sort, boards.top).render(chosen, boards.output));
            out.flush();
            err.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Generates the sweep's HTML report again (GenerateReport, with the spec and facts recorded at sweep time) and "
                    + "prints its path on the daemon's machine; with --out, copies it here through ReadArtifactFile and prints FILE.",
            exitCodeListHeading = EXIT_CODES_HEADING,
            exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE,
                ExitCodes.SWEEP_NOT_FOUND_LINE})
    static final class Report implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DaemonOptions daemon;

        @Option(names = "--out", paramLabel = "FILE",
                description = "Copy the report to this local file (streamed through the API and checked against its hash).")
        Path outFile;

        @Parameters(paramLabel = "SWEEP_ID", description = "The sweep (see 'sweeps list').")
        String sweepId;

        @Override
        public Integer call() throws Exception {
            if (outFile != null) {
                Path parent = outFile.toAbsolutePath().getParent();
                if (parent == null || !Files.isDirectory(parent) || Files.isDirectory(outFile)) {
                    throw new UsageException("--out " + outFile + ": needs a file name in an existing folder");
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String shown = reachable(daemon, client -> {
                Optional<SweepRecords.SweepRecord> record = record(client, sweepId);
                record.ifPresent(r -> describeRunning(client, r, err));
                GenerateReportRequest request = record.map(SweepFacts::reportRequest)
                        .orElseGet(() -> GenerateReportRequest.newBuilder().setSweepId(sweepId).setTitle("Sweep " + sweepId).build());
                GenerateReportResponse report;
                try {
                    report = client.artifacts().generateReport(request);
                }
                catch (NotFoundException e) {
                    if (record.isEmpty()) {
                        throw notFound(sweepId);
                    }
                    throw new IllegalStateException("sweep " + sweepId + " has no sealed results yet, so there is nothing to report");
                }
                if (outFile == null) {
                    return report.getPath();
                }
                Artifact copied = client.artifacts().readArtifactFile(report.getArtifact().getId(), outFile);
                err.println(String.format(Locale.ROOT, "report %s (%,d bytes) copied from %s", copied.getId(), copied.getSizeBytes(),
                        report.getPath()));
                return outFile.toAbsolutePath().toString();
            });
            out.println(shown);
            out.flush();
            err.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "Two sweeps' leaderboards side by side: trades, mean and win rate of A and B per group, and B - A.",
            exitCodeListHeading = EXIT_CODES_HEADING,
            exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE,
                ExitCodes.SWEEP_NOT_FOUND_LINE})
    static final class Compare implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DaemonOptions daemon;

        @Mixin
        BoardOptions boards;

        @Parameters(index = "0", paramLabel = "A", description = "The first sweep (the baseline).")
        String sweepA;

        @Parameters(index = "1", paramLabel = "B", description = "The second sweep.")
        String sweepB;

        @Override
        public Integer call() throws Exception {
            boards.check();
            PrintWriter err = spec.commandLine().getErr();
            List<Leaderboard[]> pairs = reachable(daemon, client -> {
                List<Leaderboard> a = sealed(client, sweepA, err);
                List<Leaderboard> b = sealed(client, sweepB, err);
                List<Leaderboard[]> joined = new ArrayList<>();
                for (Leaderboard board : boards.chosen(a, err)) {
                    Leaderboards.named(b, board.name()).ifPresent(other -> joined.add(new Leaderboard[] {board, other}));
                }
                return joined;
            });
            SweepComparison comparison = new SweepComparison(sweepA, sweepB, boards.top);
            ListingRenderer renderer = new ListingRenderer(new TablePrinter());
            StringBuilder text = new StringBuilder();
            if (boards.output == OutputFormat.TABLE) {
                for (Leaderboard[] pair : pairs) {
                    text.append(text.length() > 0 ? "\n" : "").append(renderer.render(comparison.table(pair[0], pair[1]), OutputFormat.TABLE));
                }
            }
            else {
                text.append(renderer.render(comparison.flat(pairs), boards.output));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print(text);
            out.flush();
            err.flush();
            return ExitCodes.OK;
        }

        private static List<Leaderboard> sealed(QuantbotStorageClient client, String sweepId, PrintWriter err) {
            Optional<List<Leaderboard>> all = leaderboards(client, sweepId);
            Optional<SweepRecords.SweepRecord> record = record(client, sweepId);
            if (all.isEmpty() && record.isEmpty()) {
                throw notFound(sweepId);
            }
            record.ifPresent(r -> describeRunning(client, r, err));
            if (all.isEmpty()) {
                err.println("sweep " + sweepId + " has no sealed results yet");
                return List.of();
            }
            return all.get();
        }
    }
}
