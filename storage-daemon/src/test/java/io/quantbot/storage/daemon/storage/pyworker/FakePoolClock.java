package io.quantbot.storage.daemon.storage.pyworker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A {@link PoolClock} whose time moves only when the test says so; due tasks run on the test's thread
 * (outside the clock's lock, since they take the pool's monitor), in order of their due time.
 */
final class FakePoolClock implements PoolClock {
    private final PriorityQueue<Task> tasks = new PriorityQueue<>(Comparator.comparingLong(Task::due).thenComparingLong(Task::sequence));
    private long now = 1_000_000_000L;
    private long sequence;
    private boolean shutdown;

    private record Task(long due, long sequence, Runnable action) {}

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized Timer schedule(Runnable action, Duration delay) {
        if (shutdown) {
            return () -> { };
        }
        Task task = new Task(now + Math.max(0, delay.toNanos()), sequence++, action);
        tasks.add(task);
        return () -> {
            synchronized (this) {
                tasks.remove(task);
            }
        };
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
        tasks.clear();
    }

    /** Runs what is due now, and what that schedules with no delay. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** Moves time forward by {@code step}, running each task when its due time is reached. */
    void advance(Duration step) {
        long target;
        synchronized (this) {
            target = now + step.toNanos();
        }
        Task next;
        while ((next = pollDue(target)) != null) {
            next.action().run();
        }
        synchronized (this) {
            now = Math.max(now, target);
        }
    }

    /** Moves time to the earliest task and runs it (and whatever else falls due then); returns how far time moved. */
    Duration runNext() {
        long from;
        long due;
        synchronized (this) {
            if (tasks.isEmpty()) {
                throw new AssertionError("no task is scheduled");
            }
            from = now;
            due = tasks.peek().due();
        }
        advance(Duration.ofNanos(Math.max(0, due - from)));
        return Duration.ofNanos(due - from);
    }

    /** Delays of the pending tasks from now, soonest first. */
    synchronized List<Duration> pending() {
        List<Duration> delays = new ArrayList<>();
        tasks.stream().sorted(tasks.comparator()).forEach(task -> delays.add(Duration.ofNanos(task.due() - now)));
        return delays;
    }

    private synchronized Task pollDue(long target) {
        Task head = tasks.peek();
        if (head == null || head.due() > target) {
            return null;
        }
        tasks.poll();
        now = Math.max(now, head.due());
        return head;
    }
}
