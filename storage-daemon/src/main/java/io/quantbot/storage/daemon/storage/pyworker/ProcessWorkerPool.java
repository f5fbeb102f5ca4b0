package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.info.WorkerPoolStatus;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.worker.v1.Configure;
import io.quantbot.storage.worker.v1.Pong;
import io.quantbot.storage.worker.v1.Ready;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Response;
import io.quantbot.storage.worker.v1.Result;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool: N long-lived workers, a bounded queue of calls, one call per worker at a time. This class
 * ties the parts together and owns the pool's monitor: {@link CallQueue} (admission), {@link PooledWorker}
 * (each worker's state machine), {@link SpawnControl} (backoff and the spawn-storm guard), {@link WorkerHealth}
 * (pings), {@link PoolMetrics}, all timed by the injected {@link PoolClock}.
 *
 * <p>Life of a call: a free worker takes it at once, otherwise it waits in the queue (QUEUE_FULL
 * past python-worker.queue-capacity). Before a worker is handed a call the operating system is asked
 * about it: a stopped or exited worker is never chosen (it is killed and replaced). The worker gets the
 * caller's remaining deadline as its timeout and acknowledges the request (Accepted) when it reads it; a
 * worker that ends before acknowledging never ran the request, which then goes to another worker. When
 * the caller cancels or the deadline passes, the call fails at once (CANCELLED / DEADLINE_EXCEEDED), the
 * worker gets a Cancel frame and is reused when it answers; if it does not answer within
 * python-worker.cancel-grace it is killed and replaced.
 *
 * <p>Life of a worker: spawned, Configure sent, warm after Ready; health-pinged while idle (killed
 * and replaced when a ping stays unanswered until the next one, or at once when it is found stopped);
 * recycled after max-requests or when a Pong reports more than max-rss; replaced when it exits, breaks
 * framing, fails to start in time or does not acknowledge a request in time. Replacements after failures
 * back off exponentially, and the spawn-storm guard allows at most python-worker.spawn-storm-limit spawns
 * per minute: past it, readiness turns not ready with the reason, a warning is logged, a counter and a
 * gauge move, and the next spawn waits for the window.
 *
 * <p>All state is guarded by the pool's monitor; frames are written, processes started and futures
 * completed outside it.
 */
@Singleton
final class ProcessWorkerPool implements PythonWorkerPool, WorkerPoolStatus, WorkerProcess.Listener, PoolMetrics.PoolState {
    static final String READINESS_CONDITION = "python-workers";
    private static final Logger log = LoggerFactory.getLogger(ProcessWorkerPool.class);
    private static final Duration MAINTENANCE_PERIOD = Duration.ofSeconds(1);
    private static final Duration THREAD_WAIT = Duration.ofSeconds(2);
    /** Times a call may be handed on after its worker ended before acknowledging it (a request that kills every worker that reads it stops here). */
    private static final int MAX_REDISPATCHES = 2;
    /** Recycle cause: a request changed the worker's shared database (the worker sent retire_reason). */
    static final String STATE_CHANGED = PoolMetrics.STATE_CHANGED;

    private final PythonWorkerConfig config;
    private final DatabaseConfig database;
    private final WorkerProcessLauncher launcher;
    private final Readiness readiness;
    private final PoolClock clock;
    private final PoolMetrics metrics;
    private final CompletionExecutor completions;
    private final AtomicLong requestIds = new AtomicLong();

    // Guarded by this.
    private final CallQueue queue;
    private final SpawnControl spawns;
    private final WorkerHealth health;
    private final Map<WorkerProcess, PooledWorker> workers = new LinkedHashMap<>();
    private boolean running;
    private boolean stopped;
    private boolean warm;
    private String pythonVersion = "";
    private String duckDbVersion = "";
    private Configure configure;

    @Inject
    ProcessWorkerPool(PythonWorkerConfig config, DatabaseConfig database, WorkerProcessLauncher launcher, Readiness readiness,
            MeterRegistry registry, PoolClock clock) {
        this.config = requireNonNull(config, "config is null");
        this.database = requireNonNull(database, "database is null");
        this.launcher = requireNonNull(launcher, "launcher is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.queue = new CallQueue(config.queueCapacity());
        this.spawns = new SpawnControl(config.spawnStormLimit());
        this.health = new WorkerHealth(config.maxRss());
        this.metrics = new PoolMetrics(requireNonNull(registry, "registry is null"), this);
        this.completions = new CompletionExecutor(config.completionThreads(), config.completionQueue(), metrics::completedInline);
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void start() throws IOException {
        synchronized (this) {
            if (running || stopped) {
                return;
            }
        }
        if (!config.enabled()) {
            log.info("Python worker pool disabled (python-worker.pool-size=0): coarse calls fail with UNAVAILABLE");
            return;
        }
        Files.createDirectories(database.stagingDir());
        Files.createDirectories(database.lakeDir());
        if (config.importRoots().size() == 1 && config.importRoots().get(0).equals(database.dataDir().resolve("imports"))) {
            Files.createDirectories(config.importRoots().get(0));
        }
        for (Path root : config.importRoots()) {
            if (!Files.isDirectory(root)) {
                log.warn("Import root {} (python-worker.import-roots) is not a folder; imports from it will fail", root);
            }
        }
        launcher.prepare();
        Configure.Builder frame = Configure.newBuilder()
                .addAllowedDirectories(database.lakeDir().toString())
                .addAllowedDirectories(database.stagingDir().toString())
                .setStagingDir(database.stagingDir().toString())
                .setMemoryLimit(config.memoryLimit())
                .setDataLimitBytes(config.dataLimit())
                .setThreads(config.threads());
        for (Path root : config.importRoots()) {
            frame.addAllowedDirectories(root.toString()).addImportRoots(root.toString());
        }
        synchronized (this) {
            configure = frame.build();
            running = true;
            updateReadiness();
            for (int i = 0; i < config.poolSize(); i++) {
                scheduleSpawn(SpawnReason.START, Duration.ZERO);
            }
            clock.schedule(this::pingIdleWorkers, config.pingInterval());
            clock.schedule(this::maintain, MAINTENANCE_PERIOD);
        }
        log.info("Python worker pool starting {} workers ({} -m quantbot_worker, code in {})",
                config.poolSize(), config.python(), launcher.codeDir());
    }

    @Override
    public void stop() throws InterruptedException {
        List<PoolCall> failed;
        List<PooledWorker> all;
        Map<PooledWorker, PoolCall.Attempt> inFlight = new LinkedHashMap<>();
        synchronized (this) {
            if (!running) {
                stopped = true;
                return;
            }
            running = false;
            stopped = true;
            failed = queue.drain();
            all = new ArrayList<>(workers.values());
            for (PooledWorker worker : all) {
                PoolCall call = worker.call();
                if (call != null) {
                    inFlight.put(worker, call.attempt);
                    if (!call.done()) {
                        failed.add(call);
                    }
                }
                worker.retire();
            }
            failed.forEach(PoolCall::finish);
        }
        clock.shutdown();
        for (PoolCall call : failed) {
            fail(call, StorageException.of(ErrorCode.SHUTTING_DOWN,
                    "the daemon is shutting down; the " + call.op + " call was cancelled"), "shutting_down");
        }
        // Off this thread: a worker that stopped reading could block a write until it is killed below.
        for (PooledWorker worker : all) {
            PoolCall.Attempt attempt = inFlight.get(worker);
            completions.execute(() -> {
                if (attempt != null) {
                    requestCancel(attempt);
                }
                worker.process.closeInput();
            });
        }
        // Real time, not the pool's clock: this waits for processes, and the clock's timers are gone.
        long deadline = System.nanoTime() + config.cancelGrace().toNanos();
        for (PooledWorker worker : all) {
            if (worker.process.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))).isEmpty()) {
                log.warn("Python worker {} did not exit within {} of the end of its input; killing it", worker.pid(), config.cancelGrace());
                worker.process.kill();
                worker.process.awaitExit(THREAD_WAIT);
            }
        }
        for (PooledWorker worker : all) {
            worker.process.awaitThreads(THREAD_WAIT);
        }
        completions.shutdown(THREAD_WAIT);
        readiness.markNotReady(READINESS_CONDITION, "stopped");
        log.info("Python worker pool stopped ({} workers ended)", all.size());
    }

    // ------------------------------------------------------------------ calls

    @Override
    public CompletableFuture<Result> submit(Request request, BatchCallOptions options) {
        requireNonNull(request, "request is null");
        requireNonNull(options, "options is null");
        if (request.getOpCase() == Request.OpCase.OP_NOT_SET) {
            throw new IllegalArgumentException("the request has no op");
        }
        String op = request.getOpCase().name().toLowerCase(Locale.ROOT);
        long started = clock.nanoTime();
        if (!config.enabled()) {
            return rejected(op, started, StorageException.of(ErrorCode.WORKER_UNAVAILABLE,
                    "the python worker pool is disabled (python-worker.pool-size=0), so " + op + " cannot run; enable the pool"
                            + " to use ImportSnapshot, PublishArtifact, Query, AnalyzeSweep, GenerateFeatures and GenerateReport"));
        }
        Duration remaining = options.remaining().orElse(config.defaultTimeout());
        if (remaining.isZero() || remaining.isNegative()) {
            return rejected(op, started, StorageException.of(ErrorCode.DEADLINE_EXCEEDED,
                    "the deadline of the " + op + " call passed before it reached a python worker"));
        }
        PoolCall call = new PoolCall(request.toBuilder().setId(requestIds.incrementAndGet()).build(), op, started, started + remaining.toNanos());
        PoolCall.Attempt attempt = null;
        synchronized (this) {
            StorageException rejection = admission(op);
            if (rejection != null) {
                return rejected(op, started, rejection);
            }
            PooledWorker worker = takeIdleWorker();
            if (worker != null) {
                attempt = assign(worker, call);
            } else {
                queue.add(call);
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

    /** Why a call cannot be taken now, or null. Under the monitor. */
    private StorageException admission(String op) {
        if (!running) {
            return stopped
                    ? StorageException.of(ErrorCode.SHUTTING_DOWN, "the daemon is shutting down and takes no more " + op + " calls")
                    : StorageException.of(ErrorCode.WORKER_UNAVAILABLE, "the python worker pool is not started");
        }
        if (workersReady() == 0 && spawns.startFailures() > 0) {
            return noWorker();
        }
        return queue.refusal(config.poolSize());
    }

    private StorageException noWorker() {
        Duration backoff = spawns.backoff();
        return StorageException.builder(ErrorCode.WORKER_UNAVAILABLE,
                        "no python worker is running: " + spawns.lastFailure() + "; the pool keeps trying to start one, retry later")
                .retryAfter(backoff.compareTo(Duration.ofSeconds(1)) >= 0 ? backoff : Duration.ofSeconds(1))
                .build();
    }

    /**
     * An idle worker that will read what it is sent, or null. Asks the operating system first: a worker that
     * exited or is stopped (SIGSTOP) is never chosen; it is killed and replaced instead. Under the monitor.
     */
    private PooledWorker takeIdleWorker() {
        for (PooledWorker worker : workers.values()) {
            if (!worker.is(PooledWorker.State.IDLE)) {
                continue;
            }
            switch (worker.process.runState()) {
                case RUNNING -> {
                    return worker;
                }
                case STOPPED -> dropIdleWorker(worker, "stopped", "is stopped (SIGSTOP, SIGTSTP or a tracer)");
                case GONE -> dropIdleWorker(worker, "crashed", "has exited");
            }
        }
        return null;
    }

    /** Takes an idle worker that cannot read out of service: killed (a signal, no wait) and replaced. Under the monitor. */
    private void dropIdleWorker(PooledWorker worker, String cause, String what) {
        spawns.failed("python worker " + worker.pid() + " " + what + " while idle", false);
        log.warn("{}; it gets no more calls and is killed and replaced", spawns.lastFailure());
        retire(worker, SpawnReason.REPLACE, cause, spawns.backoff());
        worker.process.kill();
    }

    /** Hands the call to the worker; the worker must acknowledge it within python-worker.accept-timeout. Under the monitor. */
    private PoolCall.Attempt assign(PooledWorker worker, PoolCall call) {
        PoolCall.Attempt attempt = worker.assign(call);
        worker.acceptTimer = clock.schedule(() -> acceptTimedOut(attempt), config.acceptTimeout());
        return attempt;
    }

    /** Sends the call's request to its worker, with the time left as the worker's timeout. Outside the monitor. */
    private void dispatch(PoolCall.Attempt attempt) {
        PooledWorker worker = attempt.worker;
        long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(attempt.call.deadlineNanos - clock.nanoTime()));
        Request request = attempt.call.request.toBuilder().setTimeoutMs(timeoutMs).build();
        sendQuietly(worker, () -> worker.process.send(request));
        if (attempt.markSent()) {
            sendQuietly(worker, () -> worker.process.cancel(request.getId()));
        }
    }

    /** Sends Cancel for the attempt's request, after the request even when the two race. Outside the monitor. */
    private void requestCancel(PoolCall.Attempt attempt) {
        if (attempt.markCancelRequested()) {
            sendQuietly(attempt.worker, () -> attempt.worker.process.cancel(attempt.call.id()));
        }
    }

    /** A write that fails means the worker is gone: kill it; its exit fails the call (or hands it on) and replaces it. */
    private void sendQuietly(PooledWorker worker, IoAction action) {
        try {
            action.run();
        } catch (IOException | IllegalStateException e) {
            log.warn("Writing to python worker {} failed ({}); killing it", worker.pid(), e.getMessage());
            worker.process.kill();
        }
    }

    /** The worker did not acknowledge the request: it is stopped or not reading. Kill it; its exit hands the call on. */
    private void acceptTimedOut(PoolCall.Attempt attempt) {
        PooledWorker worker = attempt.worker;
        synchronized (this) {
            if (worker.call() != attempt.call || attempt.call.attempt != attempt || attempt.accepted || worker.is(PooledWorker.State.RETIRING)) {
                return;
            }
            spawns.failed("python worker " + worker.pid() + " did not acknowledge request " + attempt.call.id()
                    + " (" + attempt.call.op + ") within " + config.acceptTimeout() + " (python-worker.accept-timeout)", false);
            log.warn("{}; killing and replacing it, the request goes to another worker", spawns.lastFailure());
            retire(worker, SpawnReason.REPLACE, "unaccepted", spawns.backoff());
        }
        worker.process.kill();
    }

    /** The caller cancelled or the deadline passed: fail the call now, and cancel its request if a worker runs it. */
    private void abandon(PoolCall call, ErrorCode reason) {
        PoolCall.Attempt attempt;
        String where;
        synchronized (this) {
            if (call.done()) {
                return;
            }
            call.finish();
            attempt = call.attempt;
            if (attempt == null) {
                queue.remove(call);
                where = "while it waited for a free python worker";
            } else {
                PooledWorker worker = attempt.worker;
                where = "while python worker " + worker.pid() + " ran it; the worker was told to cancel";
                if (running) {
                    worker.cancelKill = clock.schedule(() -> cancelTimedOut(worker, call), config.cancelGrace());
                }
            }
        }
        String message = reason == ErrorCode.CANCELLED
                ? "the " + call.op + " call was cancelled by the client " + where
                : "the " + call.op + " call exceeded its deadline after " + millis(clock.nanoTime() - call.startedNanos) + " ms " + where;
        fail(call, StorageException.of(reason, message), reason.name().toLowerCase(Locale.ROOT));
        if (attempt != null) {
            // Not on the clock's thread: a write to a worker that stopped reading blocks until the worker is
            // killed, and the kill after the grace is the clock's job.
            completions.execute(() -> requestCancel(attempt));
        }
    }

    private void cancelTimedOut(PooledWorker worker, PoolCall call) {
        synchronized (this) {
            if (worker.call() != call || worker.is(PooledWorker.State.RETIRING)) {
                return;
            }
            log.warn("Python worker {} did not stop request {} ({}) within {} of the cancel; killing and replacing it",
                    worker.pid(), call.id(), call.op, config.cancelGrace());
            retire(worker, SpawnReason.REPLACE, "cancel_timeout", Duration.ZERO);
        }
        worker.process.kill();
    }

    // ------------------------------------------------------------------ worker events

    @Override
    public void onReady(WorkerProcess process, Ready ready) {
        PooledWorker worker;
        PoolCall.Attempt next = null;
        synchronized (this) {
            worker = workers.get(process);
            if (worker == null || !worker.is(PooledWorker.State.STARTING)) {
                return;
            }
            worker.ready();
            spawns.ready();
            pythonVersion = ready.getPythonVersion();
            duckDbVersion = ready.getDuckdbVersion();
            if (running) {
                PoolCall queued = queue.poll();
                if (queued != null) {
                    next = assign(worker, queued);
                }
                if (!warm && workersReady() >= config.poolSize()) {
                    warm = true;
                    log.info("Python worker pool warm: {} workers (python {}, duckdb {}, pyarrow {})",
                            config.poolSize(), pythonVersion, duckDbVersion, ready.getPyarrowVersion());
                }
                updateReadiness();
            }
        }
        log.info("Python worker {} ready after {} ms ({})", process.pid(), millis(clock.nanoTime() - worker.spawnedNanos), worker.reason.tag());
        if (next != null) {
            dispatch(next);
        }
    }

    @Override
    public void onAccepted(WorkerProcess process, long requestId) {
        synchronized (this) {
            PooledWorker worker = workers.get(process);
            if (worker == null || worker.call() == null || worker.call().id() != requestId) {
                return;
            }
            worker.call().attempt.accepted = true;
            worker.cancelAcceptTimer();
        }
    }

    @Override
    public void onResponse(WorkerProcess process, Response response) {
        PooledWorker worker;
        PoolCall call;
        PoolCall.Attempt next = null;
        boolean complete;
        synchronized (this) {
            worker = workers.get(process);
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
                worker.recycleCause = STATE_CHANGED;
            }
            if (busy) {
                String recycle = STATE_CHANGED.equals(worker.recycleCause) ? STATE_CHANGED
                        : config.maxRequests() > 0 && worker.served() >= config.maxRequests() ? "max_requests" : worker.recycleCause;
                if (recycle != null) {
                    retireGracefully(worker, recycle);
                } else if (running) {
                    PoolCall queued = queue.poll();
                    if (queued != null) {
                        next = assign(worker, queued);
                    }
                }
            }
        }
        if (complete) {
            if (response.hasResult()) {
                succeed(call, response.getResult());
            } else {
                if (!response.getError().getTraceback().isEmpty()) {
                    log.debug("Python worker {} request {} ({}) traceback:\n{}", process.pid(), call.id(), call.op,
                            response.getError().getTraceback());
                }
                StorageException failure = WorkerErrors.toException(call.op, process.pid(), response.getError());
                fail(call, failure, failure.code().name().toLowerCase(Locale.ROOT));
            }
        }
        if (next != null) {
            PoolCall.Attempt queued = next;
            completions.execute(() -> dispatch(queued));
        }
    }

    @Override
    public void onPong(WorkerProcess process, Pong pong) {
        synchronized (this) {
            PooledWorker worker = workers.get(process);
            if (worker == null) {
                return;
            }
            if (health.answered(worker, pong) && worker.recycleCause == null) {
                log.info("Python worker {} uses {} MiB (python-worker.max-rss is {} MiB); recycling it",
                        process.pid(), pong.getRssBytes() >> 20, config.maxRss() >> 20);
                if (worker.is(PooledWorker.State.IDLE)) {
                    retireGracefully(worker, "max_rss");
                } else if (worker.is(PooledWorker.State.BUSY)) {
                    worker.recycleCause = "max_rss";
                }
            }
        }
    }

    @Override
    public void onExit(WorkerProcess process, WorkerProcess.WorkerExit exit) {
        PoolCall failed = null;
        PoolCall.Attempt redispatch = null;
        String message;
        synchronized (this) {
            PooledWorker worker = workers.remove(process);
            if (worker == null) {
                return;
            }
            PoolCall call = worker.call();
            boolean starting = worker.is(PooledWorker.State.STARTING);
            boolean retiring = worker.is(PooledWorker.State.RETIRING);
            String during = call == null ? (starting ? "before it was ready" : "while idle") : "during " + call.op;
            message = exit.describe(process.pid(), during);
            worker.release(false);
            if (call != null && !call.done()) {
                if (!call.attempt.accepted && running && call.redispatches < MAX_REDISPATCHES) {
                    // It never acknowledged the request, so it never ran it: another worker may.
                    redispatch = handOn(call, process.pid());
                } else {
                    call.finish();
                    failed = call;
                }
            }
            if (retiring) {
                log.debug("{}", message);
            } else {
                String cause = starting ? "start_failed" : exit.kind() == WorkerProcess.ExitKind.EXITED ? "crashed" : "broke_framing";
                metrics.replaced(cause);
                spawns.failed(message + (exit.lastLogLine().isEmpty() ? "" : "; its last log line: " + exit.lastLogLine()), starting);
                worker.retire();
                if (running) {
                    int failures = spawns.consecutiveFailures();
                    log.warn("{}; replacing it{}", spawns.lastFailure(), failures > 1 ? " (failure " + failures + " in a row)" : "");
                    if (worker.counted) {
                        worker.counted = false;
                        scheduleSpawn(SpawnReason.REPLACE, spawns.backoff());
                    }
                    if (starting) {
                        failQueuedIfNoWorker();
                    }
                    updateReadiness();
                }
            }
        }
        if (redispatch != null) {
            dispatch(redispatch);
        }
        if (failed != null) {
            fail(failed, StorageException.builder(ErrorCode.WORKER_UNAVAILABLE, message + "; the call was not completed, retry it")
                    .metadata("op", failed.op)
                    .build(), "worker_unavailable");
        }
    }

    /**
     * A call whose worker ended before it acknowledged the request: to a free worker now (returned, for dispatch
     * outside the monitor), else to the front of the queue. Under the monitor.
     */
    private PoolCall.Attempt handOn(PoolCall call, long pid) {
        call.redispatches++;
        call.attempt = null;
        metrics.redispatched();
        log.info("Python worker {} ended before it read request {} ({}); handing the request to another worker", pid, call.id(), call.op);
        PooledWorker free = takeIdleWorker();
        if (free != null) {
            return assign(free, call);
        }
        queue.addFirst(call);
        return null;
    }

    /** After a worker failed to start: with no worker up, queued calls would only wait for their deadline. Under the monitor. */
    private void failQueuedIfNoWorker() {
        if (workersReady() > 0 || queue.isEmpty()) {
            return;
        }
        List<PoolCall> calls = queue.drain();
        calls.forEach(PoolCall::finish);
        StorageException failure = noWorker();
        completions.execute(() -> calls.forEach(c -> fail(c, failure, "worker_unavailable")));
    }

    // ------------------------------------------------------------------ spawning, retiring, health

    /** Under the monitor. */
    private void scheduleSpawn(SpawnReason reason, Duration delay) {
        clock.schedule(() -> spawn(reason), delay);
    }

    private void spawn(SpawnReason reason) {
        synchronized (this) {
            if (!running) {
                return;
            }
            if (spawns.trySpawn(clock.nanoTime()) instanceof SpawnControl.Hold hold) {
                if (hold.stormStarted()) {
                    metrics.spawnStorm();
                    log.warn("Python worker spawn storm: {} spawns in the last minute reached python-worker.spawn-storm-limit={}; "
                            + "holding respawns back (next in {} s). Last failure: {}", spawns.spawnsInWindow(), spawns.limit(),
                            hold.delay().toSeconds(), spawns.lastFailureIfAny().orElse("none"));
                }
                scheduleSpawn(reason, hold.delay());
                updateReadiness();
                return;
            }
        }
        WorkerIo io;
        try {
            io = launcher.launch(reason);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                metrics.replaced("start_failed");
                spawns.failed("cannot start " + config.python() + " -m quantbot_worker: " + e.getMessage(), true);
                log.error("{}; retrying in {} ms", spawns.lastFailure(), spawns.backoff().toMillis());
                if (running) {
                    scheduleSpawn(SpawnReason.REPLACE, spawns.backoff());
                    failQueuedIfNoWorker();
                    updateReadiness();
                }
            }
            return;
        }
        WorkerProcess process = new WorkerProcess(io, this);
        PooledWorker worker = new PooledWorker(process, reason, clock.nanoTime());
        synchronized (this) {
            if (!running) {
                io.kill();
                return;
            }
            workers.put(process, worker);
            worker.startTimeout = clock.schedule(() -> startTimedOut(worker), config.startTimeout());
        }
        log.debug("Spawned python worker {} ({})", process.pid(), reason.tag());
        try {
            process.start(configure);
        } catch (IOException e) {
            log.warn("Sending Configure to python worker {} failed ({}); killing it", process.pid(), e.getMessage());
            process.kill();
        }
    }

    private void startTimedOut(PooledWorker worker) {
        synchronized (this) {
            if (!worker.is(PooledWorker.State.STARTING) || !workers.containsKey(worker.process)) {
                return;
            }
            spawns.failed("python worker " + worker.pid() + " did not answer Ready within " + config.startTimeout()
                    + " (python-worker.start-timeout)", true);
            log.warn("{}; killing and replacing it", spawns.lastFailure());
            retire(worker, SpawnReason.REPLACE, "start_timeout", spawns.backoff());
            failQueuedIfNoWorker();
            updateReadiness();
        }
        worker.process.kill();
    }

    /** Takes the worker out of service and schedules its replacement. Under the monitor. */
    private void retire(PooledWorker worker, SpawnReason replacement, String cause, Duration delay) {
        worker.retire();
        if (replacement == SpawnReason.RECYCLE) {
            metrics.recycled(cause);
        } else {
            metrics.replaced(cause);
        }
        if (worker.counted && running) {
            worker.counted = false;
            scheduleSpawn(replacement, delay);
        }
    }

    /** Recycles a healthy idle worker: EOF on its input (it exits 0), killed if it lingers. Under the monitor. */
    private void retireGracefully(PooledWorker worker, String cause) {
        log.info("Recycling python worker {} after {} requests ({})", worker.pid(), worker.served(), cause.replace('_', '-'));
        retire(worker, SpawnReason.RECYCLE, cause, Duration.ZERO);
        WorkerProcess process = worker.process;
        completions.execute(process::closeInput);
        if (running) {
            clock.schedule(() -> {
                if (process.isAlive()) {
                    log.warn("Recycled python worker {} did not exit within {}; killing it", process.pid(), config.cancelGrace());
                    process.kill();
                }
            }, config.cancelGrace());
        }
    }

    private void pingIdleWorkers() {
        WorkerHealth.Round round;
        synchronized (this) {
            if (!running) {
                return;
            }
            round = health.round(workers.values());
            for (PooledWorker worker : round.silent()) {
                spawns.failed("python worker " + worker.pid() + " did not answer a health ping within "
                        + config.pingInterval() + " (python-worker.ping-interval)", false);
                log.warn("{}; killing and replacing it", spawns.lastFailure());
                retire(worker, SpawnReason.REPLACE, "unresponsive", spawns.backoff());
            }
            round.stopped().forEach(worker -> dropIdleWorker(worker, "stopped", "is stopped (SIGSTOP, SIGTSTP or a tracer)"));
            clock.schedule(this::pingIdleWorkers, config.pingInterval());
        }
        round.silent().forEach(worker -> worker.process.kill());
        round.pings().forEach((worker, nonce) -> sendQuietly(worker, () -> worker.process.ping(nonce)));
    }

    private void maintain() {
        synchronized (this) {
            if (!running) {
                return;
            }
            if (spawns.stormOver(clock.nanoTime())) {
                log.info("Python worker spawn storm over: {} spawns in the last minute", spawns.spawnsInWindow());
            }
            updateReadiness();
            clock.schedule(this::maintain, MAINTENANCE_PERIOD);
        }
    }

    /** Under the monitor. */
    private void updateReadiness() {
        if (!running) {
            return;
        }
        if (spawns.inStorm()) {
            readiness.markNotReady(READINESS_CONDITION, "spawn storm: " + spawns.spawnsInWindow() + " python worker spawns in the last minute"
                    + " reached python-worker.spawn-storm-limit=" + spawns.limit() + ", respawns held back; last failure: "
                    + spawns.lastFailureIfAny().orElse("none"));
        } else if (!warm) {
            String reason = spawns.startFailures() > 0
                    ? "python workers fail to start (" + spawns.startFailures() + " in a row): " + spawns.lastFailure()
                    : "starting: " + workersReady() + " of " + config.poolSize() + " python workers ready";
            readiness.require(READINESS_CONDITION, reason);
        } else {
            readiness.markReady(READINESS_CONDITION);
        }
    }

    // ------------------------------------------------------------------ completion

    private CompletableFuture<Result> rejected(String op, long started, StorageException failure) {
        metrics.record(op, failure.code().name().toLowerCase(Locale.ROOT), clock.nanoTime() - started);
        return CompletableFuture.failedFuture(failure);
    }

    private void succeed(PoolCall call, Result result) {
        metrics.record(call.op, "ok", clock.nanoTime() - call.startedNanos);
        completions.execute(() -> call.future.complete(result));
    }

    private void fail(PoolCall call, StorageException failure, String outcome) {
        metrics.record(call.op, outcome, clock.nanoTime() - call.startedNanos);
        completions.execute(() -> call.future.completeExceptionally(failure));
    }

    // ------------------------------------------------------------------ WorkerPoolStatus and gauges

    @Override
    public int poolSize() {
        return config.poolSize();
    }

    @Override
    public synchronized int workersReady() {
        int ready = 0;
        for (PooledWorker worker : workers.values()) {
            if (worker.takesCalls()) {
                ready++;
            }
        }
        return ready;
    }

    @Override
    public long spawnCount() {
        return launcher.spawnCount();
    }

    @Override
    public synchronized String pythonVersion() {
        return pythonVersion;
    }

    @Override
    public synchronized String pythonDuckDbVersion() {
        return duckDbVersion;
    }

    @Override
    public synchronized int workersBusy() {
        int busy = 0;
        for (PooledWorker worker : workers.values()) {
            if (worker.is(PooledWorker.State.BUSY)) {
                busy++;
            }
        }
        return busy;
    }

    @Override
    public synchronized int queueDepth() {
        return queue.depth();
    }

    @Override
    public synchronized boolean inStorm() {
        return spawns.inStorm();
    }

    /** Workers running a request they acknowledged (read, so maybe ran), for tests and diagnostics. */
    synchronized int acceptedCalls() {
        int accepted = 0;
        for (PooledWorker worker : workers.values()) {
            PoolCall call = worker.call();
            if (call != null && call.attempt != null && call.attempt.accepted) {
                accepted++;
            }
        }
        return accepted;
    }

    /** Pids of the live worker processes (retiring ones included), for tests and diagnostics. */
    synchronized List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        for (WorkerProcess process : workers.keySet()) {
            pids.add(process.pid());
        }
        return pids;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }
}
