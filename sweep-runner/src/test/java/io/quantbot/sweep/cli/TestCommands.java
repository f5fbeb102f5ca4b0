package io.quantbot.sweep.cli;

import io.quantbot.sweep.remote.SweepListener;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in this JVM for tests in other packages, with a listener on the sweep's scenarios. */
public final class TestCommands {
    public record Outcome(int code, String out, String err) {}

    private TestCommands() {}

    public static Outcome execute(SweepListener listener, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SweepRunnerCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), listener);
        return new Outcome(code, out.toString(), err.toString());
    }
}
