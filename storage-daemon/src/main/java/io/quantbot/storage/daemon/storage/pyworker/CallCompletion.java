package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.worker.v1.Result;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Ends a call for its caller: records its outcome and latency, then completes its future on the completion
 * threads (never on a worker's reader thread or the clock's thread, and never under the pool's lock).
 */
final class CallCompletion {
    private final PoolMetrics metrics;
    private final CompletionExecutor completions;
    private final PoolClock clock;

    CallCompletion(PoolMetrics metrics, CompletionExecutor completions, PoolClock clock) {
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.completions = requireNonNull(completions, "completions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** A call refused before it was queued: an already failed future. */
    CompletableFuture<Result> rejected(String op, long startedNanos, StorageException failure) {
        metrics.record(op, failure.code().name().toLowerCase(Locale.ROOT), clock.nanoTime() - startedNanos);
        return CompletableFuture.failedFuture(failure);
    }

    void succeed(PoolCall call, Result result) {
        metrics.record(call.op, "ok", clock.nanoTime() - call.startedNanos);
        completions.execute(() -> call.future.complete(result));
    }

    void fail(PoolCall call, StorageException failure, String outcome) {
        metrics.record(call.op, outcome, clock.nanoTime() - call.startedNanos);
        completions.execute(() -> call.future.completeExceptionally(failure));
    }
}
