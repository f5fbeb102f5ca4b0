package io.quantbot.storage.daemon.storage.pyworker;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.OptionalInt;

/** The pipes and the life of one worker process, as {@link WorkerProcess} needs them (tests drive it with in-memory pipes). */
interface WorkerIo {
    long pid();

    /** Frames to the worker; closing it is the worker's signal to finish and exit 0. */
    OutputStream stdin();

    /** Frames from the worker. */
    InputStream stdout();

    /** The worker's log lines. */
    InputStream stderr();

    boolean isAlive();

    /** The exit code if the process ended within {@code timeout}, empty if it still runs. */
    OptionalInt awaitExit(Duration timeout) throws InterruptedException;

    /** Kills the process at once (SIGKILL); returns without waiting. */
    void kill();
}
