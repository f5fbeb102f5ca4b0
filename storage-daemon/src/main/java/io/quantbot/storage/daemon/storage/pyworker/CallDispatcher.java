package io.quantbot.storage.daemon.storage.pyworker;

import static io.quantbot.storage.daemon.storage.pyworker.WorkerSupervisor.millis;
import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Response;
import io.quantbot.storage.worker.v1.Result;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls' side of the pool: admission ({@link CallQueue}), handing a call to a free worker and its request
 * to the worker's pipe, the acknowledgement timer, the caller's cancel and deadline, answers, and handing a
 * call on when its worker ends before reading it. It asks the {@link WorkerSupervisor} for a worker that will
 * read (and to retire one), never spawns or pings.
 *
 * <p>Life of a call: a free worker takes it at once, otherwise it waits in the queue (QUEUE_FULL past
 * python-worker.queue-capacity). The worker gets the caller's remaining deadline as its timeout and
 * acknowledges the request (Accepted) when it reads it; a worker that ends before acknowledging never ran the
 * request, which then goes to another worker (at most {@value #MAX_REDISPATCHES} times). When the caller
 * cancels or the deadline passes, the call fails at once (CANCELLED / DEADLINE_EXCEEDED), the worker gets a
 * Cancel frame and is reused when it answers; if it does not answer within python-worker.cancel-grace it is
 * killed and replaced.
 *
 * <p>Methods named "under the lock" run with {@link PoolState}'s monitor held by their caller; frames are
 * written and futures completed outside it.
 */
final class CallDispatcher {
    private static final Logger log = LoggerFactory.getLogger(CallDispatcher.class);
    /** Times a call may be handed on after its worker ended before acknowledging it (a request that kills every worker that reads it stops here). */
    static final int MAX_REDISPATCHES = 2;

    private final PythonWorkerConfig config;
    private final PoolClock clock;
    private final PoolMetrics metrics;
    private final CompletionExecutor completions;
    private final CallCompletion outcomes;
    private final PoolState state;
    private final WorkerSupervisor supervisor;
    private final AtomicLong requestIds = new AtomicLong();

    CallDispatcher(PythonWorkerConfig config, PoolClock clock, PoolMetrics metrics, CompletionExecutor completions, CallCompletion outcomes,
            PoolState state, WorkerSupervisor supervisor) {
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.completions = requireNonNull(completions, "completions is null");
        this.outcomes = requireNonNull(outcomes, "outcomes is null");
        this.state = requireNonNull(state, "state is null");
        this.supervisor = requireNonNull(supervisor, "supervisor is null");
    }

    CompletableFuture<Result> submit(Request request, BatchCallOptions options) {
        requireNonNull(request, "request is null");
        requireNonNull(options, "options is null");
        if (request.getOpCase() == Request.OpCase.OP_NOT_SET) {
            throw new IllegalArgumentException("the request has no op");
        }
        String op = request.getOpCase().name().toLowerCase(Locale.ROOT);
        long started = clock.nanoTime();
        if (!config.enabled()) {
            return outcomes.rejected(op, started, StorageException.of(ErrorCode.WORKER_UNAVAILABLE,
                    "the python worker pool is disabled (python-worker.pool-size=0), so " + op + " cannot run; enable the pool"
                            + " to use ImportSnapshot, PublishArtifact, Query, AnalyzeSweep, GenerateFeatures and GenerateReport"));
        }
        Duration remaining = options.remaining().orElse(config.defaultTimeout());
        if (remaining.isZero() || remaining.isNegative()) {
            return outcomes.rejected(op, started, StorageException.of(ErrorCode.DEADLINE_EXCEEDED,
                    "the deadline of the " + op + " call passed before it reached a python worker"));
        }
        PoolCall call = new PoolCall(request.toBuilder().setId(requestIds.incrementAndGet()).build(), op, started, started + remaining.toNanos());
        PoolCall.Attempt attempt = null;
        synchronized (state) {
            StorageException rejection = admission(op);
            if (rejection != null) {
                return outcomes.rejected(op, started, rejection);
            }
            PooledWorker worker = supervisor.takeIdleWorker();
            if (worker != null) {
                attempt = assign(worker, call);
            } else {
                state.queue.add(call);
            }
            call.deadline = clock.schedule(() -> abandon(call, ErrorCode.DEADLINE_EXCEEDED), remaining);
        }
        options.onCancel(() -> abandon(call, ErrorCode.CANCELLED));
        call.future.whenComplete((result, failure) -> {
            if (failure instanceof CancellationException) {
                abandon(call, ErrorCode.CANCELLED);
            }
        });
        if (attempt != null) {
            dispatch(attempt);
        }
        return call.future;
    }

    /** Why a call cannot be taken now, or null. Under the lock. */
    private StorageException admission(String op) {
        if (!state.running) {
            return state.stopped
                    ? StorageException.of(ErrorCode.SHUTTING_DOWN, "the daemon is shutting down and takes no more " + op + " calls")
                    : StorageException.of(ErrorCode.WORKER_UNAVAILABLE, "the python worker pool is not started");
        }
        StorageException noWorker = supervisor.unavailable();
        return noWorker != null ? noWorker : state.queue.refusal(config.poolSize());
    }

    /** The oldest queued call, given to the (idle) worker; null if none waits. Dispatch it outside the lock. Under the lock. */
    PoolCall.Attempt nextQueued(PooledWorker worker) {
        if (!state.running) {
            return null;
        }
        PoolCall queued = state.queue.poll();
        return queued == null ? null : assign(worker, queued);
    }

    /** Hands the call to the worker; the worker must acknowledge it within python-worker.accept-timeout. Under the lock. */
    private PoolCall.Attempt assign(PooledWorker worker, PoolCall call) {
        PoolCall.Attempt attempt = worker.assign(call);
        worker.acceptTimer = clock.schedule(() -> acceptTimedOut(attempt), config.acceptTimeout());
        return attempt;
    }

    /** Sends the call's request to its worker, with the time left as the worker's timeout. Outside the lock. */
    void dispatch(PoolCall.Attempt attempt) {
        PooledWorker worker = attempt.worker;
        long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(attempt.call.deadlineNanos - clock.nanoTime()));
        Request request = attempt.call.request.toBuilder().setTimeoutMs(timeoutMs).build();
        worker.sendOrKill(() -> worker.process.send(request));
        if (attempt.markSent()) {
            worker.sendOrKill(() -> worker.process.cancel(request.getId()));
        }
    }

    /** Sends Cancel for the attempt's request, after the request even when the two race. Outside the lock. */
    void requestCancel(PoolCall.Attempt attempt) {
        if (attempt.markCancelRequested()) {
            attempt.worker.sendOrKill(() -> attempt.worker.process.cancel(attempt.call.id()));
        }
    }

    /** The worker did not acknowledge the request: it is stopped or not reading. Kill it; its exit hands the call on. */
    private void acceptTimedOut(PoolCall.Attempt attempt) {
        PooledWorker worker = attempt.worker;
        synchronized (state) {
            if (worker.call() != attempt.call || attempt.call.attempt != attempt || attempt.accepted || worker.is(PooledWorker.State.RETIRING)) {
                return;
            }
            supervisor.replaceFailed(worker, "unaccepted", "python worker " + worker.pid() + " did not acknowledge request "
                    + attempt.call.id() + " (" + attempt.call.op + ") within " + config.acceptTimeout() + " (python-worker.accept-timeout)",
                    "killing and replacing it, the request goes to another worker");
        }
        worker.process.kill();
    }

    /** The caller cancelled or the deadline passed: fail the call now, and cancel its request if a worker runs it. */
    private void abandon(PoolCall call, ErrorCode reason) {
        PoolCall.Attempt attempt;
        String where;
        synchronized (state) {
            if (call.done()) {
                return;
            }
            call.finish();
            attempt = call.attempt;
            if (attempt == null) {
                state.queue.remove(call);
                where = "while it waited for a free python worker";
            } else {
                PooledWorker worker = attempt.worker;
                where = "while python worker " + worker.pid() + " ran it; the worker was told to cancel";
                if (state.running) {
                    worker.cancelKill = clock.schedule(() -> cancelTimedOut(worker, call), config.cancelGrace());
                }
            }
        }
        String message = reason == ErrorCode.CANCELLED
                ? "the " + call.op + " call was cancelled by the client " + where
                : "the " + call.op + " call exceeded its deadline after " + millis(clock.nanoTime() - call.startedNanos) + " ms " + where;
        outcomes.fail(call, StorageException.of(reason, message), reason.name().toLowerCase(Locale.ROOT));
        if (attempt != null) {
            // Not on the clock's thread: a write to a worker that stopped reading blocks until the worker is
            // killed, and the kill after the grace is the clock's job.
            completions.execute(() -> requestCancel(attempt));
        }
    }

    private void cancelTimedOut(PooledWorker worker, PoolCall call) {
        synchronized (state) {
            if (worker.call() != call || worker.is(PooledWorker.State.RETIRING)) {
                return;
            }
            log.warn("Python worker {} did not stop request {} ({}) within {} of the cancel; killing and replacing it",
                    worker.pid(), call.id(), call.op, config.cancelGrace());
            supervisor.retire(worker, SpawnReason.REPLACE, "cancel_timeout", Duration.ZERO);
        }
        worker.process.kill();
    }

    // ------------------------------------------------------------------ worker events about calls

    void accepted(WorkerProcess process, long requestId) {
        synchronized (state) {
            PooledWorker worker = state.workers.get(process);
            if (worker == null || worker.call() == null || worker.call().id() != requestId) {
                return;
            }
            worker.call().attempt.accepted = true;
            worker.cancelAcceptTimer();
        }
    }

    void answered(WorkerProcess process, Response response) {
        PoolCall call;
        PoolCall.Attempt next = null;
        boolean complete;
        synchronized (state) {
            PooledWorker worker = state.workers.get(process);
            if (worker == null || worker.call() == null || worker.call().id() != response.getId()) {
                log.warn("Python worker {} answered request {}, which the pool did not give it", process.pid(), response.getId());
                return;
            }
            boolean busy = worker.is(PooledWorker.State.BUSY);
            call = worker.release(true);
            complete = !call.done();
            call.finish();
            if (!response.getRetireReason().isEmpty() && worker.recycleCause == null) {
                // The worker takes no more requests: whatever the request did to its database must not reach later callers.
                log.error("Python worker {} reports that request {} ({}) changed its database: {}; retiring it",
                        process.pid(), response.getId(), call.op, response.getRetireReason());
                worker.recycleCause = PoolMetrics.STATE_CHANGED;
            }
            if (busy) {
                String recycle = PoolMetrics.STATE_CHANGED.equals(worker.recycleCause) ? PoolMetrics.STATE_CHANGED
                        : config.maxRequests() > 0 && worker.served() >= config.maxRequests() ? "max_requests" : worker.recycleCause;
                if (recycle != null) {
                    supervisor.retireGracefully(worker, recycle);
                } else {
                    next = nextQueued(worker);
                }
            }
        }
        if (complete) {
            if (response.hasResult()) {
                outcomes.succeed(call, response.getResult());
            } else {
                if (!response.getError().getTraceback().isEmpty()) {
                    log.debug("Python worker {} request {} ({}) traceback:\n{}", process.pid(), call.id(), call.op,
                            response.getError().getTraceback());
                }
                StorageException failure = WorkerErrors.toException(call.op, process.pid(), response.getError());
                outcomes.fail(call, failure, failure.code().name().toLowerCase(Locale.ROOT));
            }
        }
        if (next != null) {
            PoolCall.Attempt queued = next;
            completions.execute(() -> dispatch(queued));
        }
    }

    /**
     * The worker's process ended (removed from the table): releases it and decides its call. A call it never
     * acknowledged goes to another worker (it never ran); any other unfinished call fails WORKER_UNAVAILABLE.
     * Returns what to do outside the lock. Under the lock.
     */
    Runnable workerEnded(PooledWorker worker, String message) {
        PoolCall call = worker.release(false);
        if (call == null || call.done()) {
            return () -> { };
        }
        if (!call.attempt.accepted && state.running && call.redispatches < MAX_REDISPATCHES) {
            PoolCall.Attempt redispatch = handOn(call, worker.pid());
            return redispatch == null ? () -> { } : () -> dispatch(redispatch);
        }
        call.finish();
        StorageException failure = StorageException.builder(ErrorCode.WORKER_UNAVAILABLE, message + "; the call was not completed, retry it")
                .metadata("op", call.op)
                .build();
        return () -> outcomes.fail(call, failure, "worker_unavailable");
    }

    /**
     * A call whose worker ended before it acknowledged the request: to a free worker now (returned, for dispatch
     * outside the lock), else to the front of the queue. Under the lock.
     */
    private PoolCall.Attempt handOn(PoolCall call, long pid) {
        call.redispatches++;
        call.attempt = null;
        metrics.redispatched();
        log.info("Python worker {} ended before it read request {} ({}); handing the request to another worker", pid, call.id(), call.op);
        PooledWorker free = supervisor.takeIdleWorker();
        if (free != null) {
            return assign(free, call);
        }
        state.queue.addFirst(call);
        return null;
    }
}
