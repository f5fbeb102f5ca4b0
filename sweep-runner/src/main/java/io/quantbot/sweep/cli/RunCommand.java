package io.quantbot.sweep.cli;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.spec.InvalidSweepSpecException;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import io.quantbot.sweep.engine.SweepEngine;
import io.quantbot.sweep.engine.SweepJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Runs a sweep through the storage daemon: one run per scenario (CreateRun, AppendRunRows, "
                + "FinishRun), then AnalyzeSweep's leaderboards (stdout) and GenerateReport's path (stderr).",
            "Completed scenarios are recorded in StatePort (namespace sweeps, key <sweep_id>/<scenario_id>); running "
                + "the same sweep again skips them, and an interrupted sweep resumes without duplicate rows.",
            "Reads the daemon's Python worker spawn count before and after and fails if it moved."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE,
            ExitCodes.DAEMON_UNREACHABLE_LINE, ExitCodes.INTERRUPTED_LINE})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The sweep file.")
    Path sweepFile;

    @Mixin
    SweepOptions options;

    @Option(names = "--engine", paramLabel = "NAME", description = "local (default): the scenarios run in this JVM; "
            + "spark: as Spark tasks (needs sweep-spark and Spark on the classpath, see docs/spark.md).")
    String engine = "local";

    @Option(names = "--master", paramLabel = "URL", description = "With --engine spark: the Spark master, e.g. local[4] or "
            + "spark://HOST:7077 (default: spark.master from spark-submit, else local[*]).")
    String master;

    @Option(names = "--executor-targets", split = ",", paramLabel = "HOST:PORT",
            description = "With --engine spark: daemons the executors write to, spread over them (default: --target).")
    List<String> executorTargets = List.of();

    @Option(names = "--engine-option", paramLabel = "KEY=VALUE",
            description = "An engine setting, e.g. spark.executor.memory=2g or shard-scenarios=8 (see docs/spark.md).")
    Map<String, String> engineOptions = new LinkedHashMap<>();

    private final SweepListener listener;

    RunCommand() {
        this(SweepListener.NONE);
    }

    RunCommand(SweepListener listener) {
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** The engine {@code --engine} names, found with ServiceLoader; empty for local. */
    private Optional<SweepExecution.EngineChoice> engine() throws UsageException {
        if ("local".equals(engine)) {
            if (master != null || !executorTargets.isEmpty() || !engineOptions.isEmpty()) {
                throw new UsageException("--master, --executor-targets and --engine-option need --engine spark");
            }
            return Optional.empty();
        }
        for (String target : executorTargets) {
            SweepOptions.checkTarget(target);
        }
        for (SweepEngine found : ServiceLoader.load(SweepEngine.class)) {
            if (found.name().equals(engine)) {
                Map<String, String> settings = new LinkedHashMap<>(engineOptions);
                if (master != null) {
                    settings.put("master", master);
                }
                DaemonOptions daemon = options.daemon;
                return Optional.of(new SweepExecution.EngineChoice(found, new SweepJob.Daemon(daemon.target,
                        Optional.ofNullable(daemon.tokenFile).map(path -> path.toAbsolutePath().toString()),
                        Optional.ofNullable(daemon.tlsCa).map(path -> path.toAbsolutePath().toString()),
                        Optional.ofNullable(daemon.tlsAuthority)), executorTargets, settings));
            }
        }
        if ("spark".equals(engine)) {
            throw new UsageException("--engine spark: the Spark engine is not on the classpath. Run the sweep with sweep-spark "
                    + "and Spark's jars on it, e.g. (after mvn package) java -cp \"sweep-spark/target/sweep-spark.jar:$(cat "
                    + "sweep-spark/target/spark-classpath.txt)\" io.quantbot.sweep.cli.Main run SPEC.yaml --engine spark "
                    + "--master local[2], or with spark-submit --class io.quantbot.spark.SparkSweepMain sweep-spark.jar run "
                    + "SPEC.yaml (docs/spark.md)");
        }
        throw new UsageException("--engine " + engine + ": unknown engine (local or spark)");
    }

    @Override
    public Integer call() throws IOException, InterruptedException, InvalidSweepSpecException, UsageException,
            DaemonUnreachableException {
        SweepExecution.Settings settings = options.settings();
        Optional<SweepExecution.EngineChoice> chosen = engine();
        SweepSpec sweep = options.apply(ValidateCommand.load(sweepFile));
        try (QuantbotStorageClient client = options.client();
                InterruptGuard guard = InterruptGuard.install()) {
            String resume = ResumeCommand.of(spec.commandLine().getParseResult().originalArgs(), sweep.sweepId());
            return new SweepExecution(settings, spec.commandLine().getOut(), spec.commandLine().getErr(), listener, chosen)
                    .execute(client, options.daemon.target, sweep, resume, new SweepExecution.SpecSource(
                            String.valueOf(sweepFile.getFileName()), Files.readString(sweepFile, StandardCharsets.UTF_8)));
        }
    }
}
