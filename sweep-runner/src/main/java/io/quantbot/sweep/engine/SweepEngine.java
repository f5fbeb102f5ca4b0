package io.quantbot.sweep.engine;

import io.quantbot.sweep.remote.RemoteSweepResult;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.simulation.Call;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * Another way to run a sweep's scenarios than {@link io.quantbot.sweep.remote.RemoteSweep} in this JVM, found with
 * {@link java.util.ServiceLoader} by {@link #name()} ({@code run --engine NAME}); sweep-spark provides {@code spark}.
 * {@code run} does everything else as usual (spawn count, calls, metadata, leaderboards, report).
 */
public interface SweepEngine {
    /** The {@code --engine} value. */
    String name();

    /**
     * Runs the scenarios of the sweep not completed yet, writing only through the daemon's ports, and says what it
     * did as {@code run}'s own sweep would.
     *
     * @param err where the plan and progress go (stderr)
     */
    RemoteSweepResult run(SweepJob job, List<Call> calls, SweepListener listener, PrintWriter err)
            throws InterruptedException, IOException;
}
