package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs blocking unary calls with an overall deadline, typed exceptions, and (for idempotent methods
 * only) retries with backoff on {@code UNAVAILABLE}, or on {@code RESOURCE_EXHAUSTED} that carries
 * RetryInfo.
 */
final class UnaryCaller {
    private static final Logger log = LoggerFactory.getLogger(UnaryCaller.class);

    private final Channel channel;
    private final CallPolicies policies;
    private final RetryPolicy retryPolicy;
    private final Sleeper sleeper;
    private final Deadline.Ticker ticker;
    private final Optional<Duration> deadlineOverride;

    UnaryCaller(Channel channel, CallPolicies policies, RetryPolicy retryPolicy, Sleeper sleeper, Deadline.Ticker ticker) {
        this(channel, policies, retryPolicy, sleeper, ticker, Optional.empty());
    }

    private UnaryCaller(
            Channel channel,
            CallPolicies policies,
            RetryPolicy retryPolicy,
            Sleeper sleeper,
            Deadline.Ticker ticker,
            Optional<Duration> deadlineOverride) {
        this.channel = requireNonNull(channel, "channel is null");
        this.policies = requireNonNull(policies, "policies is null");
        this.retryPolicy = requireNonNull(retryPolicy, "retryPolicy is null");
        this.sleeper = requireNonNull(sleeper, "sleeper is null");
        this.ticker = requireNonNull(ticker, "ticker is null");
        this.deadlineOverride = requireNonNull(deadlineOverride, "deadlineOverride is null");
    }

    /** A copy whose calls all get this overall deadline instead of the per-method default. */
    UnaryCaller withDeadline(Duration deadline) {
        requireNonNull(deadline, "deadline is null");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive: " + deadline);
        }
        return new UnaryCaller(channel, policies, retryPolicy, sleeper, ticker, Optional.of(deadline));
    }

    Channel channel() {
        return channel;
    }

    /** The deadline a call of this method gets from now: the override, else the method's default. */
    Deadline deadlineFor(MethodDescriptor<?, ?> method) {
        Duration timeout = deadlineOverride.orElseGet(() -> policies.deadlineFor(method));
        return Deadline.after(timeout.toNanos(), TimeUnit.NANOSECONDS, ticker);
    }

    <RequestT, ResponseT> ResponseT call(MethodDescriptor<RequestT, ResponseT> method, RequestT request) {
        requireNonNull(method, "method is null");
        requireNonNull(request, "request is null");
        Deadline deadline = deadlineFor(method);
        boolean idempotent = policies.isIdempotent(method);
        List<StorageException> earlierFailures = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            StorageException failure;
            try {
                return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadline(deadline), request);
            }
            catch (RuntimeException exception) {
                failure = StorageExceptions.from(exception);
            }
            if (!idempotent || !isRetryable(failure) || attempt >= retryPolicy.maxAttempts()) {
                throw withEarlierFailures(failure, earlierFailures);
            }
            Duration wait = waitAfter(attempt, failure);
            if (wait.toNanos() >= deadline.timeRemaining(TimeUnit.NANOSECONDS)) {
                log.debug("Not retrying {}: waiting {} would pass the call's deadline", method.getFullMethodName(), wait);
                throw withEarlierFailures(failure, earlierFailures);
            }
            log.debug("Retrying {} in {} after attempt {} failed: {}", method.getFullMethodName(), wait, attempt, failure.getMessage());
            try {
                sleeper.sleep(wait);
            }
            catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                CancelledException cancelled = new CancelledException(
                        StorageError.of(Status.Code.CANCELLED, "interrupted while waiting to retry " + method.getFullMethodName()),
                        interrupted);
                cancelled.addSuppressed(failure);
                throw cancelled;
            }
            earlierFailures.add(failure);
        }
    }

    static boolean isRetryable(StorageException failure) {
        return switch (failure.code()) {
            case UNAVAILABLE -> true;
            // Only an overload the daemon marked as temporary; a value that is too large stays too large.
            case RESOURCE_EXHAUSTED -> failure.retryDelay().isPresent();
            default -> false;
        };
    }

    private Duration waitAfter(int attempt, StorageException failure) {
        Optional<Duration> requested = failure.retryDelay();
        if (requested.isPresent()) {
            return requested.get();
        }
        Duration backoff = retryPolicy.backoffAfter(attempt);
        double shortenBy = retryPolicy.jitter() * ThreadLocalRandom.current().nextDouble();
        return Duration.ofNanos((long) (backoff.toNanos() * (1.0 - shortenBy)));
    }

    private static StorageException withEarlierFailures(StorageException failure, List<StorageException> earlierFailures) {
        for (StorageException earlier : earlierFailures) {
            failure.addSuppressed(earlier);
        }
        return failure;
    }
}
