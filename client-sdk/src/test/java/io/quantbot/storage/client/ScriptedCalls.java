package io.quantbot.storage.client;

import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the fakes share: how often each method was called, failures queued per method (each call
 * takes the next one), and methods that never answer.
 */
final class ScriptedCalls {
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Deque<RuntimeException>> failures = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> alwaysFailing = new ConcurrentHashMap<>();
    private final Set<String> hanging = ConcurrentHashMap.newKeySet();

    /** The next calls of {@code method} fail with these, one each, in order. */
    void failNext(String method, RuntimeException... errors) {
        Deque<RuntimeException> queue = failures.computeIfAbsent(method, ignored -> new ArrayDeque<>());
        synchronized (queue) {
            for (RuntimeException error : errors) {
                queue.addLast(error);
            }
        }
    }

    void failAlways(String method, RuntimeException error) {
        alwaysFailing.put(method, error);
    }

    void hang(String method) {
        hanging.add(method);
    }

    int calls(String method) {
        AtomicInteger count = calls.get(method);
        return count == null ? 0 : count.get();
    }

    /**
     * Counts the call; returns true if the fake must not answer normally because it answered with
     * an error (or will never answer).
     */
    boolean intercepted(String method, StreamObserver<?> observer) {
        calls.computeIfAbsent(method, ignored -> new AtomicInteger()).incrementAndGet();
        if (hanging.contains(method)) {
            return true;
        }
        RuntimeException always = alwaysFailing.get(method);
        if (always != null) {
            observer.onError(always);
            return true;
        }
        Deque<RuntimeException> queue = failures.get(method);
        if (queue != null) {
            RuntimeException next;
            synchronized (queue) {
                next = queue.pollFirst();
            }
            if (next != null) {
                observer.onError(next);
                return true;
            }
        }
        return false;
    }
}
