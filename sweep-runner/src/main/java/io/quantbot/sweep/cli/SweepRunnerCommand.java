package io.quantbot.sweep.cli;

import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.UnauthenticatedException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.spec.InvalidSweepSpecException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code sweep-runner}: parameter sweeps over calls, locally ({@code simulate-local}) or through the storage
 * daemon ({@code run}, {@code demo}).
 */
@Command(name = "sweep-runner",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Backtests calls over candles for a grid of intervals × entry lags × overlay sets.",
        subcommands = {RunCommand.class, DemoCommand.class, GenerateSnapshotCommand.class, ImportCommand.class, OptimizeCommand.class, ValidateCommand.class,
            SimulateLocalCommand.class, SweepsCommand.class},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE,
            ExitCodes.DAEMON_UNREACHABLE_LINE, ExitCodes.SWEEP_NOT_FOUND_LINE, ExitCodes.INTERRUPTED_LINE})
public final class SweepRunnerCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(SweepRunnerCommand.class);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** A configured command line; stdout gets data, stderr everything else. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, SweepListener.NONE);
    }

    /** As {@link #commandLine(PrintWriter, PrintWriter)}, with a listener that hears every finished scenario (tests). */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, SweepListener listener) {
        return commandLine(out, err, listener, OptimizeCommand.BatchObserver.NONE);
    }

    /** As above, with an observer of every batch an optimize records (tests interrupt an optimize through it). */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, SweepListener listener, OptimizeCommand.BatchObserver observer) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                if (type == RunCommand.class) {
                    return type.cast(new RunCommand(listener));
                }
                if (type == DemoCommand.class) {
                    return type.cast(new DemoCommand(listener));
                }
                if (type == OptimizeCommand.class) {
                    return type.cast(new OptimizeCommand(observer));
                }
                return defaults.create(type);
            }
        };
        CommandLine commandLine = new CommandLine(new SweepRunnerCommand(), factory);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler((exception, args) -> {
            CommandLine failed = exception.getCommandLine();
            failed.getErr().println("error: " + exception.getMessage());
            failed.getErr().println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
            failed.getErr().flush();
            return ExitCodes.BAD_USAGE;
        });
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            PrintWriter errors = failed.getErr();
            int code;
            if (exception instanceof InvalidSweepSpecException invalid) {
                errors.println("error: " + invalid.getMessage());
                code = ExitCodes.BAD_USAGE;
            }
            else if (exception instanceof UsageException) {
                errors.println("error: " + exception.getMessage());
                errors.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
                code = ExitCodes.BAD_USAGE;
            }
            else if (exception instanceof SweepNotFoundException) {
                errors.println("error: " + exception.getMessage());
                code = ExitCodes.SWEEP_NOT_FOUND;
            }
            else if (exception instanceof DaemonUnreachableException || exception instanceof UnavailableException) {
                errors.println("error: " + exception.getMessage());
                code = ExitCodes.DAEMON_UNREACHABLE;
            }
            else if (exception instanceof UnauthenticatedException || exception instanceof PermissionDeniedException) {
                errors.println("error: " + exception.getMessage());
                errors.println(exception instanceof UnauthenticatedException
                        ? "The daemon requires a bearer token: pass --token-file PATH (or set QUANTBOT_TOKEN_FILE or QUANTBOT_TOKEN)."
                        : "The token's role is not allowed this call: a sweep needs a token with the write role.");
                code = ExitCodes.BAD_USAGE;
            }
            else if (exception instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                errors.println("interrupted");
                code = ExitCodes.INTERRUPTED;
            }
            else {
                log.debug("command failed", exception);
                errors.println("error: " + (exception.getMessage() == null ? exception.toString() : exception.getMessage()));
                code = ExitCodes.RUN_FAILED;
            }
            errors.flush();
            return code;
        });
        return commandLine;
    }

    /** Runs the command line and returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, SweepListener.NONE);
    }

    static int execute(String[] args, PrintWriter out, PrintWriter err, SweepListener listener) {
        int code = commandLine(out, err, listener).execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
