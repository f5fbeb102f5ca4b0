package io.quantbot.storage.daemon.storage.pyworker;

import java.time.Duration;

/**
 * Time as the pool sees it: a ticker for "how long since" and a scheduler for every timer (call
 * deadlines, cancel grace, start and accept timeouts, respawn backoff, the storm window, health pings).
 * The daemon uses {@link SystemPoolClock}; tests drive a fake one and move time by hand.
 */
interface PoolClock {
    /** A monotonic reading in nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Runs {@code task} once after {@code delay}, on the clock's thread, unless cancelled first. */
    Timer schedule(Runnable task, Duration delay);

    /** Cancels every timer and ends the clock's thread; later schedules are ignored. */
    void shutdown();

    /** A scheduled task that may still be cancelled. */
    interface Timer {
        /** Cancels the task if it has not run yet; harmless afterwards. */
        void cancel();
    }
}
