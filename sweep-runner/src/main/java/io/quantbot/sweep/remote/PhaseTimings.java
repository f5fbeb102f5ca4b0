package io.quantbot.sweep.remote;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/** Nanoseconds per {@link Phase}, added from any thread. */
final class PhaseTimings {
    private final AtomicLongArray nanos = new AtomicLongArray(Phase.values().length);

    /** Adds the time since {@code startNanos} to the phase; returns now, the start of the next phase. */
    long add(Phase phase, long startNanos) {
        long now = System.nanoTime();
        nanos.addAndGet(phase.ordinal(), now - startNanos);
        return now;
    }

    Map<Phase, Duration> snapshot() {
        Map<Phase, Duration> copy = new EnumMap<>(Phase.class);
        for (Phase phase : Phase.values()) {
            copy.put(phase, Duration.ofNanos(nanos.get(phase.ordinal())));
        }
        return copy;
    }
}
