package io.quantbot.storage.daemon.storage.pyworker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * When the pool may spawn: exponential backoff after failures, and the spawn-storm guard (at most
 * {@code limit} spawns in any {@link #WINDOW}; past it the pool is "in a storm" until the rate falls to
 * half the limit). Pure bookkeeping over the readings of an injected ticker; not thread-safe (the pool
 * calls it under its monitor).
 */
final class SpawnControl {
    static final Duration BACKOFF_BASE = Duration.ofMillis(100);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(30);
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** Past the window's end, so the held spawn lands after the oldest spawn has left it. */
    private static final Duration WINDOW_SLACK = Duration.ofMillis(10);

    private final int limit;
    private final Deque<Long> spawnTimes = new ArrayDeque<>();
    /** Failures since a worker last answered Ready: they set the respawn backoff. */
    private int consecutiveFailures;
    /** Of those, failures of workers that never got ready: with no worker up, calls fail fast instead of queueing. */
    private int startFailures;
    private String lastFailure = "";
    private boolean storm;

    SpawnControl(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("the spawn limit must be at least 1, got " + limit);
        }
        this.limit = limit;
    }

    /** What a spawn attempt at {@code now} may do. */
    sealed interface Decision permits Spawn, Hold {}

    /** Spawn now; the spawn is counted in the window. */
    record Spawn() implements Decision {}

    /** Do not spawn; try again after {@code delay}. {@code stormStarted} is true for the spawn that started the storm. */
    record Hold(Duration delay, boolean stormStarted) implements Decision {}

    Decision trySpawn(long now) {
        prune(now);
        if (spawnTimes.size() >= limit) {
            Duration wait = Duration.ofNanos(spawnTimes.peekFirst() + WINDOW.toNanos() - now).plus(WINDOW_SLACK);
            boolean started = !storm;
            storm = true;
            return new Hold(wait, started);
        }
        spawnTimes.addLast(now);
        return new Spawn();
    }

    /**
     * Ends the storm once the rate fell well below the limit (hysteresis: not at the first spawn it allows).
     * Returns true when this call ended it.
     */
    boolean stormOver(long now) {
        prune(now);
        if (storm && spawnTimes.size() <= limit / 2) {
            storm = false;
            return true;
        }
        return false;
    }

    /** A worker failed (crashed, broke the framing, went silent); {@code starting}: it never got ready. */
    void failed(String description, boolean starting) {
        consecutiveFailures++;
        if (starting) {
            startFailures++;
        }
        lastFailure = description;
    }

    /** A worker answered Ready: the backoff starts over. */
    void ready() {
        consecutiveFailures = 0;
        startFailures = 0;
    }

    /** The delay before the next replacement: 0 after no failure, then 100 ms doubling per failure, at most 30 s. */
    Duration backoff() {
        if (consecutiveFailures <= 0) {
            return Duration.ZERO;
        }
        Duration delay = BACKOFF_BASE.multipliedBy(1L << Math.min(consecutiveFailures - 1, 20));
        return delay.compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : delay;
    }

    boolean inStorm() {
        return storm;
    }

    int spawnsInWindow() {
        return spawnTimes.size();
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    int startFailures() {
        return startFailures;
    }

    String lastFailure() {
        return lastFailure;
    }

    Optional<String> lastFailureIfAny() {
        return lastFailure.isEmpty() ? Optional.empty() : Optional.of(lastFailure);
    }

    int limit() {
        return limit;
    }

    private void prune(long now) {
        while (!spawnTimes.isEmpty() && now - spawnTimes.peekFirst() >= WINDOW.toNanos()) {
            spawnTimes.pollFirst();
        }
    }
}
