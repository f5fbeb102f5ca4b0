package io.quantbot.storage.daemon.storage.pyworker;

import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link PoolClock} on {@link System#nanoTime()} and one daemon scheduler thread. */
final class SystemPoolClock implements PoolClock {
    private final ScheduledThreadPoolExecutor scheduler;

    @Inject
    SystemPoolClock() {
        scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads("python-worker-pool"));
        // Every call schedules its deadline and cancels it when done: keep the queue to live timers.
        scheduler.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Timer schedule(Runnable task, Duration delay) {
        try {
            ScheduledFuture<?> future = scheduler.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        } catch (RejectedExecutionException e) {
            // Shut down: the pool is stopping and its timers no longer matter.
            return () -> { };
        }
    }

    @Override
    public void shutdown() {
        scheduler.shutdownNow();
    }

    static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
