package io.quantbot.sweep.cli;

import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.snapshot.SnapshotSummary;
import io.quantbot.sweep.spec.CandleInterval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate-snapshot",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Writes a deterministic synthetic snapshot: pump-and-dump 1m candles and calls from callers of "
                + "different skill.",
            "Layout: DIR/candles/<chain>_<token>.csv (token,chain,interval,ts,open,high,low,close,volume) and "
                + "DIR/calls/calls.csv (call_id,caller,token,chain,ts,price)."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE,
            ExitCodes.INTERRUPTED_LINE})
final class GenerateSnapshotCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write into.")
    Path out;

    @Option(names = "--tokens", paramLabel = "N", description = "Tokens (default: ${DEFAULT-VALUE}).")
    int tokens = SnapshotOptions.DEFAULT_TOKENS;

    @Option(names = "--days", paramLabel = "D", description = "Days of 1-minute candles (default: ${DEFAULT-VALUE}).")
    int days = SnapshotOptions.DEFAULT_DAYS;

    @Option(names = "--calls", paramLabel = "C", description = "Calls (default: ${DEFAULT-VALUE}).")
    int calls = SnapshotOptions.DEFAULT_CALLS;

    @Option(names = "--callers", paramLabel = "N", description = "Callers (default: ${DEFAULT-VALUE}).")
    int callers = SnapshotOptions.DEFAULT_CALLERS;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; same seed, same files (default: ${DEFAULT-VALUE}).")
    long seed = SnapshotOptions.DEFAULT_SEED;

    @Option(names = "--intervals", split = ",", paramLabel = "I",
            description = "Intervals to write, aggregated from 1m, e.g. 1m,5m (default: 1m).")
    List<String> intervals = List.of("1m");

    @Option(names = "--start", paramLabel = "INSTANT",
            description = "Open time of the first candle, midnight UTC (default: 2025-01-06T00:00:00Z).")
    Instant startTime = Instant.ofEpochMilli(SnapshotOptions.DEFAULT_START_MILLIS);

    @Option(names = "--force", description = "Replace the candles/ and calls/ folders under DIR if they exist.")
    boolean force;

    @Override
    public Integer call() throws IOException, InterruptedException, UsageException {
        List<CandleInterval> parsedIntervals = new ArrayList<>();
        for (String label : intervals) {
            CandleInterval interval = CandleInterval.fromLabel(label.trim()).orElseThrow(() -> new UsageException(
                    "unknown interval '" + label + "' (known: " + CandleInterval.allLabels() + ")"));
            parsedIntervals.add(interval);
        }
        if (!parsedIntervals.contains(CandleInterval.ONE_MINUTE)) {
            parsedIntervals.add(0, CandleInterval.ONE_MINUTE);
        }
        SnapshotOptions options;
        try {
            options = new SnapshotOptions(tokens, days, calls, callers, seed, startTime.toEpochMilli(), parsedIntervals);
        }
        catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        prepare(out);
        SnapshotSummary summary = new SnapshotGenerator(options).generate(out);
        double seconds = summary.elapsed().toNanos() / 1e9;
        spec.commandLine().getErr().println(String.format(Locale.ROOT,
                "wrote %,d tokens: %,d one-minute candles (%,d rows with all intervals) and %,d calls from %d callers "
                        + "to %s in %.2f s (%,.0f candles/s)",
                summary.tokens(), summary.oneMinuteCandles(), summary.candleRows(), summary.calls(),
                summary.callers().size(), out, seconds, summary.candleRows() / Math.max(seconds, 1e-9)));
        return ExitCodes.OK;
    }

    /** Only the two folders the generator owns are ever deleted, and only with --force. */
    private void prepare(Path folder) throws IOException, UsageException {
        Path candles = folder.resolve("candles");
        Path callsFolder = folder.resolve("calls");
        if (!Files.exists(candles) && !Files.exists(callsFolder)) {
            return;
        }
        if (!force) {
            throw new UsageException(folder + " already holds a snapshot (candles/ or calls/); use --force to replace it");
        }
        deleteTree(candles);
        deleteTree(callsFolder);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
