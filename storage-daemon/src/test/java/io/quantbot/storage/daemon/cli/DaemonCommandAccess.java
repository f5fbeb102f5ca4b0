package io.quantbot.storage.daemon.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;

/** Lets tests in other packages drive the daemon's command line with a chosen environment. */
public final class DaemonCommandAccess {
    private DaemonCommandAccess() {}

    public static CommandLine commandLine(Map<String, String> environment) {
        return DaemonCommand.commandLine(environment);
    }

    /** What a command printed and returned. */
    public record Result(int exitCode, String out, String err) {}

    /** Runs the command line with these arguments, capturing its output. */
    public static Result run(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = commandLine(environment);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
