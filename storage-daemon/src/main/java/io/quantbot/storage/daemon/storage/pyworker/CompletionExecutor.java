package io.quantbot.storage.daemon.storage.pyworker;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where the pool completes futures and writes Cancel frames: off the workers' reader threads and the
 * clock's thread, so callers' continuations cannot hold up a worker's frames. Bounded (threads and
 * queue, python-worker.completion-threads and python-worker.completion-queue): this work is already
 * done and cannot be shed, so past the bound the submitting thread runs the task itself (backpressure
 * on that worker's reader), counted by quantbot_python_worker_completions_inline_total.
 */
final class CompletionExecutor {
    private final ThreadPoolExecutor executor;
    private final Runnable onInline;

    CompletionExecutor(int threads, int queueCapacity, Runnable onInline) {
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueCapacity),
                SystemPoolClock.daemonThreads("python-worker-completion"));
        this.executor.allowCoreThreadTimeOut(true);
        this.onInline = onInline;
    }

    void execute(Runnable task) {
        try {
            executor.execute(task);
            return;
        } catch (RejectedExecutionException e) {
            // Full, or shut down: run it here.
            if (!executor.isShutdown()) {
                onInline.run();
            }
        }
        task.run();
    }

    void shutdown(Duration wait) throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    }
}
