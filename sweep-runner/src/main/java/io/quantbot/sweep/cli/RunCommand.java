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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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

    private final SweepListener listener;

    RunCommand() {
        this(SweepListener.NONE);
    }

    RunCommand(SweepListener listener) {
        this.listener = requireNonNull(listener, "listener is null");
    }

    @Override
    public Integer call() throws IOException, InterruptedException, InvalidSweepSpecException, UsageException,
            DaemonUnreachableException {
        SweepExecution.Settings settings = options.settings();
        SweepSpec sweep = options.apply(ValidateCommand.load(sweepFile));
        try (QuantbotStorageClient client = options.client();
                InterruptGuard guard = InterruptGuard.install()) {
            String resume = ResumeCommand.of(spec.commandLine().getParseResult().originalArgs(), sweep.sweepId());
            return new SweepExecution(settings, spec.commandLine().getOut(), spec.commandLine().getErr(), listener)
                    .execute(client, options.daemon.target, sweep, resume, new SweepExecution.SpecSource(
                            String.valueOf(sweepFile.getFileName()), Files.readString(sweepFile, StandardCharsets.UTF_8)));
        }
    }
}
