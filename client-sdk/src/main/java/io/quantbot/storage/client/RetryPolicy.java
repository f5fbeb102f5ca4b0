package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Exponential backoff for idempotent calls. Attempt {@code n} (counting from 1) that fails with a
 * retryable status waits {@code min(maxBackoff, initialBackoff * multiplier^(n-1))}, shortened by a
 * random share of up to {@code jitter} of itself, before attempt {@code n + 1}. A RetryInfo delay
 * sent by the daemon replaces the computed wait. The call's overall deadline bounds the whole.
 *
 * @param maxAttempts attempts in total, including the first; 1 disables retries
 * @param initialBackoff wait after the first failure
 * @param maxBackoff cap on any computed wait
 * @param backoffMultiplier growth of the wait per attempt, at least 1
 * @param jitter share of the wait randomly taken off, in [0, 1]
 */
public record RetryPolicy(
        int maxAttempts,
        Duration initialBackoff,
        Duration maxBackoff,
        double backoffMultiplier,
        double jitter) {
    private static final RetryPolicy DEFAULT_POLICY =
            new RetryPolicy(4, Duration.ofMillis(50), Duration.ofSeconds(2), 2.0, 0.2);

    public RetryPolicy {
        requireNonNull(initialBackoff, "initialBackoff is null");
        requireNonNull(maxBackoff, "maxBackoff is null");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        if (initialBackoff.isNegative()) {
            throw new IllegalArgumentException("initialBackoff is negative: " + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is less than initialBackoff " + initialBackoff);
        }
        if (!(backoffMultiplier >= 1.0) || Double.isInfinite(backoffMultiplier)) {
            throw new IllegalArgumentException("backoffMultiplier must be a finite number >= 1: " + backoffMultiplier);
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            throw new IllegalArgumentException("jitter must be within [0, 1]: " + jitter);
        }
    }

    /** 4 attempts, 50 ms doubling up to 2 s, 20% jitter. */
    public static RetryPolicy defaultPolicy() {
        return DEFAULT_POLICY;
    }

    /** One attempt only. */
    public static RetryPolicy noRetries() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.0, 0.0);
    }

    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, initialBackoff, maxBackoff, backoffMultiplier, jitter);
    }

    public RetryPolicy withBackoff(Duration initial, Duration max, double multiplier) {
        return new RetryPolicy(maxAttempts, initial, max, multiplier, jitter);
    }

    public RetryPolicy withJitter(double jitterShare) {
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, backoffMultiplier, jitterShare);
    }

    /**
     * The computed wait after the failed attempt {@code attempt} (1-based), before jitter.
     */
    Duration backoffAfter(int attempt) {
        double nanos = initialBackoff.toNanos() * Math.pow(backoffMultiplier, Math.max(0, attempt - 1));
        double capped = Math.min(nanos, (double) maxBackoff.toNanos());
        return Duration.ofNanos((long) capped);
    }
}
