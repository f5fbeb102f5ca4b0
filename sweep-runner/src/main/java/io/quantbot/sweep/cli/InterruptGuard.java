package io.quantbot.sweep.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (SIGINT, which starts the JVM's shutdown) into an interrupt of the working thread, then
 * holds the shutdown until that thread has flushed what is done and printed how to resume. The JVM then
 * exits with 130 (128 + SIGINT), the documented code. Without a signal, {@link #close()} removes the hook.
 */
final class InterruptGuard implements AutoCloseable {
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(20);

    private final Thread worker;
    private final Thread hook;
    private final CountDownLatch flushed = new CountDownLatch(1);
    private volatile boolean signalled;

    private InterruptGuard(Thread worker) {
        this.worker = worker;
        this.hook = new Thread(this::onShutdown, "sweep-interrupt");
    }

    /** Guards the calling thread until {@link #close()}. */
    static InterruptGuard install() {
        InterruptGuard guard = new InterruptGuard(Thread.currentThread());
        Runtime.getRuntime().addShutdownHook(guard.hook);
        return guard;
    }

    /** Whether the JVM is shutting down because of a signal (as opposed to an interrupt from elsewhere). */
    boolean signalled() {
        return signalled;
    }

    private void onShutdown() {
        signalled = true;
        worker.interrupt();
        try {
            flushed.await(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The worker is done (flushed and printed); lets a pending shutdown go on, or removes the hook. */
    @Override
    public void close() {
        flushed.countDown();
        if (!signalled) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (IllegalStateException shuttingDown) {
                // The JVM is already shutting down for another reason: nothing to remove.
            }
        }
    }
}
