package io.quantbot.storage.daemon.time;

/**
 * A source of monotonic nanoseconds, as {@link System#nanoTime()}: what code that waits, retries or
 * expires reads instead of the system timer, so tests move time by hand (a testing ticker) instead of
 * sleeping. Only differences between two readings mean anything.
 */
@FunctionalInterface
public interface Ticker {
    long read();

    static Ticker systemTicker() {
        return System::nanoTime;
    }
}
