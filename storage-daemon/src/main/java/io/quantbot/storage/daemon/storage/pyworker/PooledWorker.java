package io.quantbot.storage.daemon.storage.pyworker;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process and what the pool knows about it: the state machine STARTING -> IDLE <-> BUSY,
 * and RETIRING from any state (replaced, recycled or stopping; it takes no calls again). Guarded by the
 * pool's lock ({@link PoolState}).
 */
final class PooledWorker {
    private static final Logger log = LoggerFactory.getLogger(PooledWorker.class);
    enum State { STARTING, IDLE, BUSY, RETIRING }

    final WorkerProcess process;
    final SpawnReason reason;
    final long spawnedNanos;
    private State state = State.STARTING;
    /** The call the worker runs; its future may already be failed (cancelled, past its deadline). */
    private PoolCall call;
    private long served;
    /** The nonce of the unanswered health ping, 0 if none. */
    long pingNonce;
    /** Recycle when the running call ends (set by a Pong above max-rss while busy). */
    String recycleCause;
    /** Counts toward the pool size until a replacement was scheduled for it. */
    boolean counted = true;
    PoolClock.Timer startTimeout;
    PoolClock.Timer cancelKill;
    PoolClock.Timer acceptTimer;

    PooledWorker(WorkerProcess process, SpawnReason reason, long spawnedNanos) {
        this.process = process;
        this.reason = reason;
        this.spawnedNanos = spawnedNanos;
    }

    State state() {
        return state;
    }

    boolean is(State expected) {
        return state == expected;
    }

    /** Ready (idle) or running a call. */
    boolean takesCalls() {
        return state == State.IDLE || state == State.BUSY;
    }

    PoolCall call() {
        return call;
    }

    long served() {
        return served;
    }

    long pid() {
        return process.pid();
    }

    /** STARTING -> IDLE: the worker answered Ready. */
    void ready() {
        requireState(State.STARTING);
        cancelTimers();
        state = State.IDLE;
    }

    /** IDLE -> BUSY with the call's new attempt. */
    PoolCall.Attempt assign(PoolCall next) {
        requireState(State.IDLE);
        PoolCall.Attempt attempt = new PoolCall.Attempt(next, this);
        state = State.BUSY;
        call = next;
        next.attempt = attempt;
        return attempt;
    }

    /** The call ended (answered, or handed on): BUSY -> IDLE; a retiring worker stays retiring. Returns the call. */
    PoolCall release(boolean answered) {
        PoolCall ended = call;
        call = null;
        if (answered) {
            served++;
        }
        cancelTimers();
        if (state == State.BUSY) {
            state = State.IDLE;
        }
        return ended;
    }

    /** Out of service for good; its timers are cancelled. */
    void retire() {
        state = State.RETIRING;
        cancelTimers();
    }

    void cancelTimers() {
        if (startTimeout != null) {
            startTimeout.cancel();
            startTimeout = null;
        }
        if (cancelKill != null) {
            cancelKill.cancel();
            cancelKill = null;
        }
        cancelAcceptTimer();
    }

    void cancelAcceptTimer() {
        if (acceptTimer != null) {
            acceptTimer.cancel();
            acceptTimer = null;
        }
    }

    /** Writes a frame; a write that fails means the worker is gone: kill it (its exit fails or hands on its call and replaces it). Outside the lock. */
    void sendOrKill(IoAction action) {
        try {
            action.run();
        } catch (IOException | IllegalStateException e) {
            log.warn("Writing to python worker {} failed ({}); killing it", pid(), e.getMessage());
            process.kill();
        }
    }

    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    private void requireState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("python worker " + pid() + " is " + state + ", not " + expected);
        }
    }
}
