package io.quantbot.sweep.cli;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.NotFoundException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.GenerateReportResponse;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.sweep.engine.SweepEngine;
import io.quantbot.sweep.engine.SweepJob;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.output.LeaderboardPrinter;
import io.quantbot.sweep.output.LeaderboardSort;
import io.quantbot.sweep.output.OutputFormat;
import io.quantbot.sweep.output.TablePrinter;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.CallsNotFoundException;
import io.quantbot.sweep.remote.Leaderboards;
import io.quantbot.sweep.remote.RemoteSweep;
import io.quantbot.sweep.remote.RemoteSweepResult;
import io.quantbot.sweep.remote.ScenarioOutcome;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.remote.SweepRecords;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One sweep through a daemon, as {@code run} and {@code demo} do it: spawn count before, calls, the
 * sweep (skipping what is done), leaderboards from AnalyzeSweep, the report, spawn count after, failures.
 * Progress and messages go to stderr, leaderboards to stdout.
 */
final class SweepExecution {
    /** Top rows AnalyzeSweep returns per leaderboard: all of them, so that --sort and --top work on full groups. */
    private static final int ANALYZE_TOP_N = 10_000;

    /** What the user chose on the command line. */
    record Settings(List<String> leaderboards, int top, LeaderboardSort sort, OutputFormat output, boolean noProgress,
            int uploadStreams, boolean report) {
        Settings {
            leaderboards = List.copyOf(requireNonNull(leaderboards, "leaderboards is null"));
            requireNonNull(sort, "sort is null");
            requireNonNull(output, "output is null");
        }
    }

    /** The sweep file as the user wrote it: its name (e.g. {@code demo-sweep.yaml}) and text, for the record and the report. */
    record SpecSource(String name, String text) {
        SpecSource {
            requireNonNull(name, "name is null");
            requireNonNull(text, "text is null");
        }
    }

    /** {@code run --engine}: another engine runs the scenarios (everything else stays as it is). */
    record EngineChoice(SweepEngine engine, SweepJob.Daemon daemon, List<String> executorTargets, Map<String, String> options) {
        EngineChoice {
            requireNonNull(engine, "engine is null");
            requireNonNull(daemon, "daemon is null");
            executorTargets = List.copyOf(executorTargets);
            options = Map.copyOf(options);
        }
    }

    private final Settings settings;
    private final PrintWriter out;
    private final PrintWriter err;
    private final SweepListener listener;
    private final Optional<EngineChoice> engine;

    SweepExecution(Settings settings, PrintWriter out, PrintWriter err, SweepListener listener) {
        this(settings, out, err, listener, Optional.empty());
    }

    SweepExecution(Settings settings, PrintWriter out, PrintWriter err, SweepListener listener, Optional<EngineChoice> engine) {
        this.settings = requireNonNull(settings, "settings is null");
        this.out = requireNonNull(out, "out is null");
        this.err = requireNonNull(err, "err is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.engine = requireNonNull(engine, "engine is null");
    }

    /**
     * The spawn count now; the first call to the daemon, so an unreachable daemon, or something that is no
     * daemon, is reported here (see {@link DaemonProbe}).
     */
    static ServerInfo serverInfo(QuantbotStorageClient client, String target) throws DaemonUnreachableException {
        return DaemonProbe.probe(client, target);
    }

    static DaemonUnreachableException unreachable(String target, UnavailableException e) {
        return new DaemonUnreachableException("cannot reach the storage daemon at " + target + " (" + e.getMessage()
                + "); start one with: java -jar storage-daemon/target/storage-daemon.jar", e);
    }

    /**
     * Runs the sweep and prints everything; returns the exit code.
     *
     * @param resumeCommand what to print if the sweep is interrupted
     */
    int execute(QuantbotStorageClient client, String target, SweepSpec spec, String resumeCommand, SpecSource source)
            throws DaemonUnreachableException, UsageException, InterruptedException, IOException {
        try {
            return executeOrThrow(client, target, spec, resumeCommand, source);
        }
        catch (UnavailableException e) {
            err.println("the storage daemon at " + target + " went away; finished scenarios are recorded. Resume with:");
            err.println("  " + resumeCommand);
            throw unreachable(target, e);
        }
    }

    private int executeOrThrow(QuantbotStorageClient client, String target, SweepSpec spec, String resumeCommand, SpecSource source)
            throws DaemonUnreachableException, UsageException, InterruptedException, IOException {
        ServerInfo before = serverInfo(client, target);
        long startedAtMs = System.currentTimeMillis();
        SweepRecords records = new SweepRecords(client.state());
        Map<String, String> facts = SweepFacts.settings(spec, before);
        records.write(new SweepRecords.SweepRecord(spec.sweepId(), source.name(), source.text(), SweepRecords.Status.RUNNING, startedAtMs, 0,
                spec.scenarioCount(), 0, 0, 0, facts));
        err.println(String.format(Locale.ROOT, "daemon %s at %s (data %s, %d python workers, %d spawned so far)",
                before.getVersion(), target, before.getDataDir(), before.getWorkerPoolSize(), before.getWorkerSpawnCount()));

        long loadStart = System.nanoTime();
        Artifact alerts;
        try {
            alerts = CallsArtifacts.resolve(client.artifacts(), spec.calls());
        }
        catch (CallsNotFoundException e) {
            throw new UsageException(e.getMessage());
        }
        List<Call> calls = CallsArtifacts.load(client.artifacts(), alerts);
        err.println(String.format(Locale.ROOT, "calls: %,d from alerts artifact %s (%s) in %.2f s", calls.size(),
                alerts.getId(), alerts.getLogicalKey(), (System.nanoTime() - loadStart) / 1e9));
        err.flush();

        SweepMetadata metadata = new SweepMetadata(RunnerBuild.current(), SweepMetadata.specHash(spec), before.getVersion(),
                before.getDuckdbVersion(), before.getSchemaVersion(), spec.calls().describe(), alerts.getId(),
                alerts.getContentHash());
        // Overwritten by every invocation of the sweep: the newest runner and daemon that worked on it.
        client.state().setJson(SweepMetadata.NAMESPACE, spec.sweepId(), metadata.toJson().toString());
        err.println(String.format(Locale.ROOT, "runner %s, spec hash %s", metadata.runner().describe(),
                metadata.specHash().substring(0, 12)));

        SdkCandleSource candles = new SdkCandleSource(client.artifacts());
        RemoteSweepResult result;
        if (engine.isPresent()) {
            EngineChoice chosen = engine.get();
            result = chosen.engine().run(new SweepJob(spec, source.name(), source.text(), alerts.getId(), metadata,
                    chosen.daemon(), chosen.executorTargets(), chosen.options(),
                    ProgressReporter.detectMode(settings.noProgress()), settings.uploadStreams()), calls, listener, err);
        }
        else {
            RemoteSweep sweep = new RemoteSweep(client, candles, spec, alerts.getId(), metadata,
                    new RemoteSweep.Options(settings.uploadStreams(), ProgressReporter.detectMode(settings.noProgress())),
                    Clock.systemUTC());
            result = sweep.run(calls, listener, err);
        }
        SweepFacts.result(facts, result, (System.nanoTime() - loadStart) / 1_000_000);
        if (result.interrupted()) {
            records.write(SweepFacts.record(spec, source, SweepRecords.Status.INTERRUPTED, startedAtMs, result, facts));
            err.println(String.format(Locale.ROOT,
                    "interrupted: %d scenarios finished now and %d before are recorded; %d left. Resume with:",
                    result.succeeded(), result.skipped(), result.scenarios() - result.skipped() - result.succeeded()));
            err.println("  " + resumeCommand);
            err.flush();
            return ExitCodes.INTERRUPTED;
        }
        if (result.outcomes().isEmpty()) {
            err.println("all " + result.scenarios() + " scenarios were completed before; nothing to run");
        }
        else {
            err.println(String.format(Locale.ROOT,
                    "ran %d scenarios (%,d backtests) in %.2f s (rows committed after %.2f s, then %d seal%s): %,.0f "
                            + "backtests/s; %d skipped (done before), %d failed%s",
                    result.outcomes().size(), result.backtests(), result.elapsed().toNanos() / 1e9,
                    result.rowsCommitted().toNanos() / 1e9, result.seals(), result.seals() == 1 ? "" : "s",
                    result.backtestsPerSecond(), result.skipped(), result.failures().size(), engine.isPresent() ? ""
                            : String.format(Locale.ROOT, "; candles: %,d series in %,d BatchGetCandles calls",
                                    candles.requestCount(), candles.callCount())));
            err.println("time per phase, summed over threads: " + result.describePhases());
            if (result.seals() == 0 && result.succeeded() > 0) {
                err.println("warning: no FinishRun sealed this sweep's runs (the scenario that seals a wave failed before "
                        + "its run existed); AnalyzeSweep sees only sealed runs. Re-run the same command to seal them.");
            }
        }
        err.flush();

        long analyzeStart = System.nanoTime();
        printLeaderboards(client, spec.sweepId());
        facts.put("analyze_ms", Long.toString((System.nanoTime() - analyzeStart) / 1_000_000));

        ServerInfo after = serverInfo(client, target);
        long spawns = after.getWorkerSpawnCount() - before.getWorkerSpawnCount();
        err.println("python worker spawns during sweep: " + spawns);
        facts.put("python_worker_spawns", Long.toString(spawns));
        List<ScenarioOutcome> failures = result.failures();
        facts.put("finished_at_ms", Long.toString(System.currentTimeMillis()));
        SweepRecords.Status status = failures.isEmpty() && spawns == 0 ? SweepRecords.Status.SUCCEEDED : SweepRecords.Status.FAILED;
        SweepRecords.SweepRecord record = SweepFacts.record(spec, source, status, startedAtMs, result, facts);
        records.write(record);
        if (settings.report()) {
            printReport(client, record);
        }

        if (!failures.isEmpty()) {
            err.println("failed scenarios (" + failures.size() + "):");
            for (ScenarioOutcome failure : failures) {
                err.println("  " + failure.scenarioId() + ": " + failure.error().orElse(""));
            }
            err.println("re-run the same command to retry them (completed scenarios are skipped):");
            err.println("  " + resumeCommand);
        }
        err.flush();
        if (spawns > 0) {
            err.println("error: the daemon spawned " + spawns + " Python worker(s) during the sweep; a sweep must not");
            return ExitCodes.RUN_FAILED;
        }
        return failures.isEmpty() ? ExitCodes.OK : ExitCodes.RUN_FAILED;
    }

    private void printLeaderboards(QuantbotStorageClient client, String sweepId) {
        long start = System.nanoTime();
        List<Leaderboard> all;
        try {
            all = Leaderboards.fromProto(client.artifacts().analyzeSweep(AnalyzeSweepRequest.newBuilder()
                    .setSweepId(sweepId)
                    .setTopN(ANALYZE_TOP_N)
                    .build()));
        }
        catch (NotFoundException e) {
            err.println("no leaderboards: " + e.getMessage());
            return;
        }
        err.println(String.format(Locale.ROOT, "AnalyzeSweep: %.2f s", (System.nanoTime() - start) / 1e9));
        err.flush();
        List<Leaderboard> chosen = new ArrayList<>();
        for (String name : settings.leaderboards()) {
            Optional<Leaderboard> board = Leaderboards.named(all, name);
            if (board.isPresent()) {
                chosen.add(board.get());
            }
            else {
                err.println("the daemon's AnalyzeSweep has no leaderboard " + name);
            }
        }
        out.print(new LeaderboardPrinter(new TablePrinter(), settings.sort(), settings.top()).render(chosen, settings.output()));
        out.flush();
    }

    private void printReport(QuantbotStorageClient client, SweepRecords.SweepRecord record) {
        long start = System.nanoTime();
        try {
            GenerateReportResponse report = client.artifacts().generateReport(SweepFacts.reportRequest(record));
            err.println(String.format(Locale.ROOT, "report: %s (%.2f s)", report.getPath(), (System.nanoTime() - start) / 1e9));
        }
        catch (UnavailableException e) {
            throw e;
        }
        catch (StorageException e) {
            err.println("no report: " + e.getMessage());
        }
    }
}
