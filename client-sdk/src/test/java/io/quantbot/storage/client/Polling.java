package io.quantbot.storage.client;

import java.time.Duration;
import java.util.function.BooleanSupplier;

final class Polling {
    private Polling() {}

    /** Waits until the condition holds, failing the test after {@code timeout}. */
    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
