package io.quantbot.storage.client;

import java.time.Duration;

/** Waits between retry attempts; tests replace it to record the waits. */
@FunctionalInterface
interface Sleeper {
    Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);

    void sleep(Duration duration) throws InterruptedException;
}
