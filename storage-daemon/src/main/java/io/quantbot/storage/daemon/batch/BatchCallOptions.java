package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How long the caller is willing to wait and how it says it gave up. Built by the adapter from its
 * call (for gRPC: the remaining deadline and a context cancellation listener), in plain Java.
 */
public final class BatchCallOptions {
    private static final Cancellation NEVER = listener -> {};

    private final OptionalLong deadlineNanos;
    private final Cancellation cancellation;

    private BatchCallOptions(OptionalLong deadlineNanos, Cancellation cancellation) {
        this.deadlineNanos = deadlineNanos;
        this.cancellation = cancellation;
    }

    /** No deadline (the engine applies its default time limit) and no cancellation. */
    public static BatchCallOptions none() {
        return new BatchCallOptions(OptionalLong.empty(), NEVER);
    }

    /** A deadline {@code remaining} from now; zero or negative means it has already passed. */
    public static BatchCallOptions withTimeout(Duration remaining) {
        requireNonNull(remaining, "remaining is null");
        return new BatchCallOptions(OptionalLong.of(System.nanoTime() + saturatedNanos(remaining)), NEVER);
    }

    /** These options, with a deadline {@code timeout} from now if the caller set none. */
    public BatchCallOptions orTimeout(Duration timeout) {
        requireNonNull(timeout, "timeout is null");
        return deadlineNanos.isPresent() ? this : new BatchCallOptions(OptionalLong.of(System.nanoTime() + saturatedNanos(timeout)), cancellation);
    }

    /** The same deadline, cancelled through {@code value}. */
    public BatchCallOptions cancelledBy(Cancellation value) {
        return new BatchCallOptions(deadlineNanos, requireNonNull(value, "cancellation is null"));
    }

    /** Time left until the deadline (possibly zero or negative), or empty when the caller set none. */
    public Optional<Duration> remaining() {
        if (deadlineNanos.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(deadlineNanos.getAsLong() - System.nanoTime()));
    }

    /** Registers a listener that runs once if the caller cancels (at once if it already has). */
    public void onCancel(Runnable listener) {
        cancellation.addListener(requireNonNull(listener, "listener is null"));
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE / 2 : Long.MAX_VALUE / 2;
        }
    }

    /** Where cancellation listeners go; for gRPC: {@code listener -> context.addListener(c -> listener.run(), directExecutor())}. */
    @FunctionalInterface
    public interface Cancellation {
        void addListener(Runnable listener);
    }
}
