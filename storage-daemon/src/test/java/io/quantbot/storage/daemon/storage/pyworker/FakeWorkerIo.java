package io.quantbot.storage.daemon.storage.pyworker;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A worker "process" made of in-memory pipes; the test plays the worker on the other ends. */
final class FakeWorkerIo implements WorkerIo {
    static final long PID = 4242;

    final BlockingPipe stdin = new BlockingPipe();
    final BlockingPipe stdout = new BlockingPipe();
    final BlockingPipe stderr = new BlockingPipe();
    private final CountDownLatch exited = new CountDownLatch(1);
    private volatile int exitCode;
    volatile boolean killed;
    /** What {@link #runState()} says while the worker lives (a test "stops" the fake with STOPPED). */
    volatile RunState state = RunState.RUNNING;

    /** The worker ends with {@code code}: its output streams close. */
    void exit(int code) {
        exitCode = code;
        stdout.closeWriter();
        stderr.closeWriter();
        exited.countDown();
    }

    @Override
    public long pid() {
        return PID;
    }

    @Override
    public OutputStream stdin() {
        return stdin.out;
    }

    @Override
    public InputStream stdout() {
        return stdout.in;
    }

    @Override
    public InputStream stderr() {
        return stderr.in;
    }

    @Override
    public boolean isAlive() {
        return exited.getCount() > 0;
    }

    @Override
    public RunState runState() {
        return isAlive() ? state : RunState.GONE;
    }

    @Override
    public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        return exited.await(timeout.toNanos(), TimeUnit.NANOSECONDS) ? OptionalInt.of(exitCode) : OptionalInt.empty();
    }

    @Override
    public void kill() {
        killed = true;
        if (isAlive()) {
            exit(137);
        }
    }
}
