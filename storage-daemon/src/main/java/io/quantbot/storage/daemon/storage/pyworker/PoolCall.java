package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Result;
import java.util.concurrent.CompletableFuture;

/** One call: its request (id set), deadline and future. Mutable fields are guarded by the pool's monitor. */
final class PoolCall {
    final Request request;
    final String op;
    final long startedNanos;
    final long deadlineNanos;
    final CompletableFuture<Result> future = new CompletableFuture<>();
    private boolean done;
    /** The current hand-over to a worker; null while the call waits in the queue. */
    Attempt attempt;
    /** Times the call was handed on after its worker ended before acknowledging it. */
    int redispatches;
    PoolClock.Timer deadline;

    PoolCall(Request request, String op, long startedNanos, long deadlineNanos) {
        this.request = request;
        this.op = op;
        this.startedNanos = startedNanos;
        this.deadlineNanos = deadlineNanos;
    }

    long id() {
        return request.getId();
    }

    boolean done() {
        return done;
    }

    /** The call has its outcome (or is failing): its deadline timer goes; the future is completed by the caller. */
    void finish() {
        done = true;
        if (deadline != null) {
            deadline.cancel();
        }
    }

    /**
     * One hand-over of a call to a worker. {@code accepted} is guarded by the pool's monitor; the send flags by
     * the attempt's own monitor, which only ever guards flags (the frames are written outside it), so that a
     * Cancel frame is written after its request and exactly once, whichever of the two threads comes second.
     */
    static final class Attempt {
        final PoolCall call;
        final PooledWorker worker;
        /** The worker acknowledged the request: it has read it and may run it. */
        boolean accepted;
        private boolean requestSent;
        private boolean cancelRequested;

        Attempt(PoolCall call, PooledWorker worker) {
            this.call = call;
            this.worker = worker;
        }

        /** The request is written; returns true when a cancel came first and is now the sender's to write. */
        synchronized boolean markSent() {
            requestSent = true;
            return cancelRequested;
        }

        /** A cancel is wanted; returns true when the request is out and the Cancel is now the caller's to write. */
        synchronized boolean markCancelRequested() {
            if (cancelRequested) {
                return false;
            }
            cancelRequested = true;
            return requestSent;
        }
    }
}
