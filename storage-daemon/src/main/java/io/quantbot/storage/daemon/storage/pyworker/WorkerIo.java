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

    /** What the operating system says of the process now; cheap enough to ask before every dispatch. */
    RunState runState();

    /** A process's state as the pool cares about it before handing it a request. */
    enum RunState {
        /** Running or sleeping: it will read what it is sent. */
        RUNNING,
        /** Stopped (SIGSTOP, SIGTSTP, a tracer): it reads nothing until continued. */
        STOPPED,
        /** Exited (a zombie not yet reaped included): it will never read anything. */
        GONE
    }

    /** The exit code if the process ended within {@code timeout}, empty if it still runs. */
    OptionalInt awaitExit(Duration timeout) throws InterruptedException;

    /** Kills the process at once (SIGKILL); returns without waiting. */
    void kill();
}
