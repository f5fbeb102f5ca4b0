package io.quantbot.sweep.cli;

import io.quantbot.sweep.remote.SweepListener;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in this JVM for tests in other packages, with a listener on the sweep's scenarios. */
public final class TestCommands {
    public record Outcome(int code, String out, String err) {}

    private TestCommands() {}

    /** Runs {@code optimize}; {@code observer} hears each recorded batch (group, trials done) and may throw to interrupt it. */
    public static Outcome optimize(java.util.function.BiConsumer<String, Integer> observer, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SweepRunnerCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true), SweepListener.NONE,
                observer::accept).execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    public static Outcome execute(SweepListener listener, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SweepRunnerCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), listener);
        return new Outcome(code, out.toString(), err.toString());
    }
}
