package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Admission: calls waiting for a free worker, at most python-worker.queue-capacity of them; past it a
 * call is refused with QUEUE_FULL (RESOURCE_EXHAUSTED, reason QUEUE_FULL, a retry hint; the pool's
 * request timer counts it with outcome queue_full). Calls that finished while they waited (cancelled,
 * past their deadline) are skipped when the queue is polled. Not thread-safe: the pool calls it under
 * its monitor.
 */
final class CallQueue {
    static final Duration QUEUE_FULL_RETRY = Duration.ofSeconds(1);

    private final Deque<PoolCall> calls = new ArrayDeque<>();
    private final int capacity;

    CallQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the queue capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** The refusal of one more call when the queue is full, or null when it has room. */
    StorageException refusal(int poolSize) {
        if (calls.size() < capacity) {
            return null;
        }
        return StorageException.builder(ErrorCode.QUEUE_FULL, "all " + poolSize + " python workers are busy and "
                        + calls.size() + " calls are waiting (python-worker.queue-capacity); retry after a short pause")
                .retryAfter(QUEUE_FULL_RETRY)
                .build();
    }

    void add(PoolCall call) {
        calls.addLast(call);
    }

    /** Back to the front (a call whose worker never read it): it waited longest. May exceed the capacity by the few handed on. */
    void addFirst(PoolCall call) {
        calls.addFirst(call);
    }

    void remove(PoolCall call) {
        calls.remove(call);
    }

    /** The oldest call still waiting for its outcome, or null. */
    PoolCall poll() {
        PoolCall call;
        while ((call = calls.pollFirst()) != null) {
            if (!call.done()) {
                return call;
            }
        }
        return null;
    }

    /** Every call still waiting, in order; the queue is empty afterwards. */
    List<PoolCall> drain() {
        List<PoolCall> waiting = new ArrayList<>();
        PoolCall call;
        while ((call = poll()) != null) {
            waiting.add(call);
        }
        return waiting;
    }

    boolean isEmpty() {
        return calls.isEmpty();
    }

    /** Calls waiting that have no outcome yet. */
    int depth() {
        int depth = 0;
        for (PoolCall call : calls) {
            if (!call.done()) {
                depth++;
            }
        }
        return depth;
    }
}
