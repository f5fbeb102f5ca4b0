package io.quantbot.sweep.cli;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.sweep.leaderboard.LeaderboardCalculator;
import io.quantbot.sweep.output.LeaderboardSort;
import io.quantbot.sweep.output.OutputFormat;
import io.quantbot.sweep.spec.SweepSpec;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options {@code run} and {@code demo} share: where the daemon is, how to show results, how to upload. */
final class SweepOptions {
    static final String DEFAULT_TARGET = "127.0.0.1:50051";
    private static final Pattern SWEEP_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern HOST_PORT = Pattern.compile("([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.%a-z]+\\]):(\\d{1,5})");
    private static final Pattern URI_TARGET = Pattern.compile("(dns|unix|unix-abstract|ipv4|ipv6):/{0,3}[^\\s]+");

    /** --target, --token-file, --tls-ca, --tls-authority: the same options as the {@code sweeps} commands. */
    @Mixin
    DaemonOptions daemon;

    @Option(names = "--sweep-id", paramLabel = "ID",
            description = "Use this sweep id instead of the file's (or the derived one); the same id resumes a sweep.")
    String sweepId;

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

    @Option(names = "--no-progress", description = "Plain progress lines instead of a redrawn bar (also NO_COLOR, "
            + "or when stderr is not a terminal).")
    boolean noProgress;

    @Option(names = "--parallelism", paramLabel = "N", description = "Simulation threads; overrides the sweep file's.")
    Integer parallelism;

    @Option(names = "--upload-streams", paramLabel = "N",
            description = "Runs uploaded at once, each its own AppendRunRows stream (default: ${DEFAULT-VALUE}).")
    int uploadStreams = 16;

    @Option(names = "--no-report", description = "Skip GenerateReport.")
    boolean noReport;

    SweepExecution.Settings settings() throws UsageException {
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
        if (uploadStreams < 1 || uploadStreams > 256) {
            throw new UsageException("--upload-streams must be between 1 and 256");
        }
        if (sweepId != null && !SWEEP_ID.matcher(sweepId).matches()) {
            throw new UsageException("--sweep-id must match [A-Za-z0-9._-]{1,64}");
        }
        return new SweepExecution.Settings(leaderboards, top, sort, output, noProgress, uploadStreams, !noReport);
    }

    /** HOST:PORT with a port in 1-65535 ([v6]:PORT for IPv6), or a gRPC URI such as dns:///host:port: else bad usage (exit 2). */
    static void checkTarget(String target) throws UsageException {
        if (target == null || target.isBlank()) {
            throw new UsageException("--target is empty: give the daemon's gRPC address as HOST:PORT, e.g. " + DEFAULT_TARGET);
        }
        if (URI_TARGET.matcher(target).matches()) {
            return;
        }
        java.util.regex.Matcher hostPort = HOST_PORT.matcher(target);
        if (hostPort.matches()) {
            int port = Integer.parseInt(hostPort.group(2));
            if (port >= 1 && port <= 65_535) {
                return;
            }
        }
        throw new UsageException("--target '" + target + "' is not HOST:PORT (e.g. " + DEFAULT_TARGET
                + ", [::1]:50051 or dns:///daemon.example:50051)");
    }

    /** The sweep with the command line's overrides. */
    SweepSpec apply(SweepSpec sweep) {
        return new SweepSpec(sweepId == null ? sweep.sweepId() : sweepId, sweep.calls(), sweep.intervals(),
                sweep.entryLagsMillis(), sweep.overlaySets(), sweep.takerFeeBps(), sweep.slippageBps(), sweep.notionalUsd(),
                sweep.timeFrameMillis(), parallelism == null ? sweep.parallelism() : parallelism, sweep.chunkRows());
    }

    /** A client for the target; the channel connects lazily, so nothing is checked before the first call. */
    QuantbotStorageClient client() throws UsageException {
        return daemon.client();
    }
}
