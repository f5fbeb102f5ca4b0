package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool: N long-lived workers, a bounded queue of calls, one call per worker at a time.
 *
 * <p>Life of a call: a free worker takes it at once, otherwise it waits in the queue (QUEUE_FULL
 * past python-worker.queue-capacity). The worker gets the caller's remaining deadline as its timeout.
 * When the caller cancels or the deadline passes, the call fails at once (CANCELLED /
 * DEADLINE_EXCEEDED), the worker gets a Cancel frame and is reused when it answers; if it does not
 * answer within python-worker.cancel-grace it is killed and replaced.
 *
 * <p>Life of a worker: spawned, Configure sent, warm after Ready; health-pinged while idle (killed
 * and replaced when a ping stays unanswered until the next one); recycled after max-requests or when
 * a Pong reports more than max-rss; replaced when it exits, breaks framing or fails to start in time.
 * Replacements after failures back off exponentially, and the spawn-storm guard allows at most
 * python-worker.spawn-storm-limit spawns per minute: past it, readiness turns not ready with the
 * reason, a warning is logged, a counter and a gauge move, and the next spawn waits for the window.
 *
 * <p>All state is guarded by the pool's monitor; frames are written and futures completed outside it.
 */
@Singleton
final class ProcessWorkerPool implements PythonWorkerPool, WorkerPoolStatus, WorkerProcess.Listener {
    static final String READINESS_CONDITION = "python-workers";
    private static final Logger log = LoggerFactory.getLogger(ProcessWorkerPool.class);
    private static final Duration BACKOFF_BASE = Duration.ofMillis(100);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(30);
    private static final Duration STORM_WINDOW = Duration.ofMinutes(1);
    private static final Duration QUEUE_FULL_RETRY = Duration.ofSeconds(1);
    private static final Duration MAINTENANCE_PERIOD = Duration.ofSeconds(1);
    private static final Duration THREAD_WAIT = Duration.ofSeconds(2);
    /** Times a call may be handed on after its worker ended before acknowledging it (a request that kills every worker that reads it stops here). */
    private static final int MAX_REDISPATCHES = 2;

    /** Recycle cause: a request changed the worker's shared database (the worker sent retire_reason). */
    static final String STATE_CHANGED = "state_changed";

    private enum State { STARTING, IDLE, BUSY, RETIRING }

    private final PythonWorkerConfig config;
    private final DatabaseConfig database;
    private final WorkerProcessLauncher launcher;
    private final Readiness readiness;
    private final MeterRegistry registry;
    private final Counter spawnStorms;
    private final Counter redispatches;
    private final AtomicLong requestIds = new AtomicLong();
    private final AtomicLong pingNonces = new AtomicLong();

    // Guarded by this.
    private final Deque<Call> queue = new ArrayDeque<>();
    private final Map<WorkerProcess, Worker> workers = new LinkedHashMap<>();
    private final Deque<Long> spawnTimes = new ArrayDeque<>();
    /** Failures since a worker last answered Ready: they set the respawn backoff. */
    private int consecutiveFailures;
    /** Of those, failures of workers that never got ready: with no worker up, calls fail fast instead of queueing. */
    private int startFailures;
    private String lastFailure = "";
    private boolean running;
    private boolean stopped;
    private boolean warm;
    private boolean storm;
    private String pythonVersion = "";
    private String duckDbVersion = "";
    private Configure configure;
    // Set once by start(), before running is set.
    private volatile ScheduledThreadPoolExecutor scheduler;
    private volatile ExecutorService completions;

    @Inject
    ProcessWorkerPool(
            PythonWorkerConfig config, DatabaseConfig database, WorkerProcessLauncher launcher, Readiness readiness, MeterRegistry registry) {
        this.config = requireNonNull(config, "config is null");
        this.database = requireNonNull(database, "database is null");
        this.launcher = requireNonNull(launcher, "launcher is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.spawnStorms = Counter.builder("quantbot.python_worker.spawn_storms")
                .description("Times the pool hit python-worker.spawn-storm-limit spawns per minute and held respawns back")
                .register(registry);
        this.redispatches = Counter.builder("quantbot.python_worker.redispatches")
                .description("Calls handed to another worker because theirs ended or was killed before it acknowledged (and so ran) them")
                .register(registry);
        Gauge.builder("quantbot.python_worker.spawn_storm", this, pool -> pool.inStorm() ? 1 : 0)
                .description("1 while the pool is in a spawn storm (readiness not ready, respawns held back), else 0")
                .register(registry);
        Gauge.builder("quantbot.python_worker.queue_depth", this, ProcessWorkerPool::queueDepth)
                .description("Coarse calls waiting for a free python worker")
                .register(registry);
        Gauge.builder("quantbot.python_worker.workers_ready", this, ProcessWorkerPool::workersReady)
                .description("Python workers that answered Ready and take calls (idle or busy)")
                .register(registry);
        Gauge.builder("quantbot.python_worker.workers_busy", this, ProcessWorkerPool::workersBusy)
                .description("Python workers running a call")
                .register(registry);
        Gauge.builder("quantbot.python_worker.pool_size", this, ProcessWorkerPool::poolSize)
                .description("Configured number of python workers (python-worker.pool-size)")
                .register(registry);
        for (String cause : List.of("crashed", "broke_framing", "start_failed", "start_timeout", "cancel_timeout", "unresponsive", "stopped",
                "unaccepted")) {
            replacements(cause);
        }
        for (String cause : List.of("max_requests", "max_rss", STATE_CHANGED)) {
            recycles(cause);
        }
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
            scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads("python-worker-pool"));
            // Every call schedules its deadline and cancels it when done: keep the queue to live timers.
            scheduler.setRemoveOnCancelPolicy(true);
            completions = Executors.newCachedThreadPool(daemonThreads("python-worker-completion"));
            running = true;
            updateReadiness();
            for (int i = 0; i < config.poolSize(); i++) {
                scheduleSpawn(SpawnReason.START, Duration.ZERO);
            }
            long ping = config.pingInterval().toNanos();
            scheduler.scheduleWithFixedDelay(this::pingIdleWorkers, ping, ping, TimeUnit.NANOSECONDS);
            long tick = MAINTENANCE_PERIOD.toNanos();
            scheduler.scheduleWithFixedDelay(this::maintain, tick, tick, TimeUnit.NANOSECONDS);
        }
        log.info("Python worker pool starting {} workers ({} -m quantbot_worker, code in {})",
                config.poolSize(), config.python(), launcher.codeDir());
    }

    @Override
    public void stop() throws InterruptedException {
        List<Call> failed = new ArrayList<>();
        List<Worker> all;
        Map<Worker, Attempt> inFlight = new LinkedHashMap<>();
        synchronized (this) {
            if (!running) {
                stopped = true;
                return;
            }
            running = false;
            stopped = true;
            failed.addAll(queue);
            queue.clear();
            all = new ArrayList<>(workers.values());
            for (Worker worker : all) {
                Call call = worker.call;
                if (call != null) {
                    inFlight.put(worker, call.attempt);
                    if (!call.done) {
                        failed.add(call);
                    }
                }
                worker.state = State.RETIRING;
                worker.cancelTimers();
            }
            for (Call call : failed) {
                call.finish();
            }
        }
        scheduler.shutdownNow();
        for (Call call : failed) {
            fail(call, StorageException.of(ErrorCode.SHUTTING_DOWN,
                    "the daemon is shutting down; the " + call.op + " call was cancelled"), "shutting_down");
        }
        // Off this thread: a worker that stopped reading could block a write until it is killed below.
        for (Worker worker : all) {
            Attempt attempt = inFlight.get(worker);
            execute(() -> {
                if (attempt != null) {
                    requestCancel(attempt);
                }
                worker.process.closeInput();
            });
        }
        long deadline = System.nanoTime() + config.cancelGrace().toNanos();
        for (Worker worker : all) {
            if (worker.process.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))).isEmpty()) {
                log.warn("Python worker {} did not exit within {} of the end of its input; killing it", worker.process.pid(), config.cancelGrace());
                worker.process.kill();
                worker.process.awaitExit(THREAD_WAIT);
            }
        }
        for (Worker worker : all) {
            worker.process.awaitThreads(THREAD_WAIT);
        }
        completions.shutdown();
        completions.awaitTermination(THREAD_WAIT.toMillis(), TimeUnit.MILLISECONDS);
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
        long started = System.nanoTime();
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
        Call call = new Call(request.toBuilder().setId(requestIds.incrementAndGet()).build(), op, started, started + remaining.toNanos());
        Attempt attempt = null;
        synchronized (this) {
            StorageException rejection = admission(op);
            if (rejection != null) {
                return rejected(op, started, rejection);
            }
            Worker worker = takeIdleWorker();
            if (worker != null) {
                attempt = assign(worker, call);
            } else {
                queue.addLast(call);
            }
            call.deadlineTask = scheduler.schedule(() -> abandon(call, ErrorCode.DEADLINE_EXCEEDED), remaining.toNanos(), TimeUnit.NANOSECONDS);
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
        if (workersReady() == 0 && startFailures > 0) {
            return noWorker();
        }
        if (queue.size() >= config.queueCapacity()) {
            return StorageException.builder(ErrorCode.QUEUE_FULL, "all " + config.poolSize() + " python workers are busy and "
                            + queue.size() + " calls are waiting (python-worker.queue-capacity); retry after a short pause")
                    .retryAfter(QUEUE_FULL_RETRY)
                    .build();
        }
        return null;
    }

    private StorageException noWorker() {
        return StorageException.builder(ErrorCode.WORKER_UNAVAILABLE,
                        "no python worker is running: " + lastFailure + "; the pool keeps trying to start one, retry later")
                .retryAfter(maxDuration(backoff(), Duration.ofSeconds(1)))
                .build();
    }

    /**
     * An idle worker that will read what it is sent, or null. Asks the operating system first: a worker that
     * exited or is stopped (SIGSTOP) is never chosen; it is killed and replaced instead. Under the monitor.
     */
    private Worker takeIdleWorker() {
        for (Worker worker : workers.values()) {
            if (worker.state != State.IDLE) {
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
    private void dropIdleWorker(Worker worker, String cause, String what) {
        consecutiveFailures++;
        lastFailure = "python worker " + worker.process.pid() + " " + what + " while idle";
        log.warn("{}; it gets no more calls and is killed and replaced", lastFailure);
        retire(worker, SpawnReason.REPLACE, cause, backoff());
        worker.process.kill();
    }

    private Call pollQueue() {
        Call call;
        while ((call = queue.pollFirst()) != null) {
            if (!call.done) {
                return call;
            }
        }
        return null;
    }

    /** Hands the call to the worker; the worker must acknowledge it within python-worker.accept-timeout. Under the monitor. */
    private Attempt assign(Worker worker, Call call) {
        Attempt attempt = new Attempt(call, worker);
        worker.state = State.BUSY;
        worker.call = call;
        call.attempt = attempt;
        worker.acceptTimer = scheduler.schedule(() -> acceptTimedOut(attempt), config.acceptTimeout().toNanos(), TimeUnit.NANOSECONDS);
        return attempt;
    }

    /** Sends the call's request to its worker, with the time left as the worker's timeout. Outside the monitor. */
    private void dispatch(Attempt attempt) {
        Worker worker = attempt.worker;
        long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(attempt.call.deadlineNanos - System.nanoTime()));
        Request request = attempt.call.request.toBuilder().setTimeoutMs(timeoutMs).build();
        synchronized (attempt) {
            sendQuietly(worker, () -> worker.process.send(request));
            attempt.requestSent = true;
            if (attempt.cancelRequested) {
                sendQuietly(worker, () -> worker.process.cancel(request.getId()));
            }
        }
    }

    /** Sends Cancel for the attempt's request, after the request even when the two race. Outside the monitor. */
    private void requestCancel(Attempt attempt) {
        synchronized (attempt) {
            if (attempt.cancelRequested) {
                return;
            }
            attempt.cancelRequested = true;
            if (attempt.requestSent) {
                sendQuietly(attempt.worker, () -> attempt.worker.process.cancel(attempt.call.request.getId()));
            }
        }
    }

    /** The worker did not acknowledge the request: it is stopped or not reading. Kill it; its exit hands the call on. */
    private void acceptTimedOut(Attempt attempt) {
        Worker worker = attempt.worker;
        synchronized (this) {
            if (worker.call != attempt.call || attempt.call.attempt != attempt || attempt.accepted || worker.state == State.RETIRING) {
                return;
            }
            consecutiveFailures++;
            lastFailure = "python worker " + worker.process.pid() + " did not acknowledge request " + attempt.call.request.getId()
                    + " (" + attempt.call.op + ") within " + config.acceptTimeout() + " (python-worker.accept-timeout)";
            log.warn("{}; killing and replacing it, the request goes to another worker", lastFailure);
            retire(worker, SpawnReason.REPLACE, "unaccepted", backoff());
        }
        worker.process.kill();
    }

    /** A write that fails means the worker is gone: kill it; its exit fails the call and replaces it. */
    private void sendQuietly(Worker worker, IoAction action) {
        try {
            action.run();
        } catch (IOException | IllegalStateException e) {
            log.warn("Writing to python worker {} failed ({}); killing it", worker.process.pid(), e.getMessage());
            worker.process.kill();
        }
    }

    /** The caller cancelled or the deadline passed: fail the call now, and cancel its request if a worker runs it. */
    private void abandon(Call call, ErrorCode reason) {
        Worker worker;
        Attempt attempt;
        String where;
        synchronized (this) {
            if (call.done) {
                return;
            }
            call.finish();
            attempt = call.attempt;
            worker = attempt == null ? null : attempt.worker;
            if (worker == null) {
                queue.remove(call);
                where = "while it waited for a free python worker";
            } else {
                where = "while python worker " + worker.process.pid() + " ran it; the worker was told to cancel";
                if (running) {
                    worker.cancelKill = scheduler.schedule(() -> cancelTimedOut(worker, call), config.cancelGrace().toNanos(), TimeUnit.NANOSECONDS);
                }
            }
        }
        String message = reason == ErrorCode.CANCELLED
                ? "the " + call.op + " call was cancelled by the client " + where
                : "the " + call.op + " call exceeded its deadline after " + millis(System.nanoTime() - call.startedNanos) + " ms " + where;
        fail(call, StorageException.of(reason, message), reason.name().toLowerCase(Locale.ROOT));
        if (worker != null) {
            // Not on the scheduler thread: a write to a worker that stopped reading blocks until the worker is
            // killed, and the kill after the grace is the scheduler's job.
            execute(() -> requestCancel(attempt));
        }
    }

    private void cancelTimedOut(Worker worker, Call call) {
        synchronized (this) {
            if (worker.call != call || worker.state == State.RETIRING) {
                return;
            }
            log.warn("Python worker {} did not stop request {} ({}) within {} of the cancel; killing and replacing it",
                    worker.process.pid(), call.request.getId(), call.op, config.cancelGrace());
            retire(worker, SpawnReason.REPLACE, "cancel_timeout", Duration.ZERO);
        }
        worker.process.kill();
    }

    // ------------------------------------------------------------------ worker events

    @Override
    public void onReady(WorkerProcess process, Ready ready) {
        Worker worker;
        Attempt next = null;
        synchronized (this) {
            worker = workers.get(process);
            if (worker == null || worker.state != State.STARTING) {
                return;
            }
            worker.cancelTimers();
            worker.state = State.IDLE;
            consecutiveFailures = 0;
            startFailures = 0;
            pythonVersion = ready.getPythonVersion();
            duckDbVersion = ready.getDuckdbVersion();
            if (running) {
                Call queued = pollQueue();
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
        log.info("Python worker {} ready after {} ms ({})", process.pid(), millis(System.nanoTime() - worker.spawnedNanos), worker.reason.tag());
        if (next != null) {
            dispatch(next);
        }
    }

    @Override
    public void onResponse(WorkerProcess process, Response response) {
        Worker worker;
        Call call;
        Attempt next = null;
        boolean complete;
        synchronized (this) {
            worker = workers.get(process);
            if (worker == null || worker.call == null || worker.call.request.getId() != response.getId()) {
                log.warn("Python worker {} answered request {}, which the pool did not give it", process.pid(), response.getId());
                return;
            }
            call = worker.call;
            worker.call = null;
            worker.served++;
            worker.cancelTimers();
            complete = !call.done;
            call.finish();
            if (!response.getRetireReason().isEmpty() && worker.recycleCause == null) {
                // The worker takes no more requests: whatever the request did to its database must not reach later callers.
                log.error("Python worker {} reports that request {} ({}) changed its database: {}; retiring it",
                        process.pid(), response.getId(), call.op, response.getRetireReason());
                worker.recycleCause = STATE_CHANGED;
            }
            if (worker.state == State.BUSY) {
                worker.state = State.IDLE;
                String recycle = STATE_CHANGED.equals(worker.recycleCause) ? STATE_CHANGED
                        : config.maxRequests() > 0 && worker.served >= config.maxRequests() ? "max_requests" : worker.recycleCause;
                if (recycle != null) {
                    retireGracefully(worker, recycle);
                } else if (running) {
                    Call queued = pollQueue();
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
                    log.debug("Python worker {} request {} ({}) traceback:\n{}", process.pid(), call.request.getId(), call.op,
                            response.getError().getTraceback());
                }
                StorageException failure = WorkerErrors.toException(call.op, process.pid(), response.getError());
                fail(call, failure, failure.code().name().toLowerCase(Locale.ROOT));
            }
        }
        if (next != null) {
            Attempt queued = next;
            execute(() -> dispatch(queued));
        }
    }

    @Override
    public void onPong(WorkerProcess process, Pong pong) {
        synchronized (this) {
            Worker worker = workers.get(process);
            if (worker == null) {
                return;
            }
            if (pong.getNonce() == worker.pingNonce) {
                worker.pingNonce = 0;
            }
            if (config.maxRss() > 0 && pong.getRssBytes() > config.maxRss() && worker.recycleCause == null) {
                log.info("Python worker {} uses {} MiB (python-worker.max-rss is {} MiB); recycling it",
                        process.pid(), pong.getRssBytes() >> 20, config.maxRss() >> 20);
                if (worker.state == State.IDLE) {
                    retireGracefully(worker, "max_rss");
                } else if (worker.state == State.BUSY) {
                    worker.recycleCause = "max_rss";
                }
            }
        }
    }

    @Override
    public void onAccepted(WorkerProcess process, long requestId) {
        synchronized (this) {
            Worker worker = workers.get(process);
            if (worker == null || worker.call == null || worker.call.request.getId() != requestId) {
                return;
            }
            worker.call.attempt.accepted = true;
            if (worker.acceptTimer != null) {
                worker.acceptTimer.cancel(false);
                worker.acceptTimer = null;
            }
        }
    }

    @Override
    public void onExit(WorkerProcess process, WorkerProcess.WorkerExit exit) {
        Call failed = null;
        Attempt redispatch = null;
        String message;
        synchronized (this) {
            Worker worker = workers.remove(process);
            if (worker == null) {
                return;
            }
            worker.cancelTimers();
            Call call = worker.call;
            String during = call == null ? (worker.state == State.STARTING ? "before it was ready" : "while idle") : "during " + call.op;
            message = exit.describe(process.pid(), during);
            if (call != null && !call.done) {
                if (!call.attempt.accepted && running && call.redispatches < MAX_REDISPATCHES) {
                    // It never acknowledged the request, so it never ran it: another worker may.
                    redispatch = handOn(call, process.pid());
                } else {
                    call.finish();
                    failed = call;
                }
            }
            if (worker.state == State.RETIRING) {
                log.debug("{}", message);
            } else {
                boolean starting = worker.state == State.STARTING;
                String cause = starting ? "start_failed" : exit.kind() == WorkerProcess.ExitKind.EXITED ? "crashed" : "broke_framing";
                replacements(cause).increment();
                consecutiveFailures++;
                if (starting) {
                    startFailures++;
                }
                lastFailure = message + (exit.lastLogLine().isEmpty() ? "" : "; its last log line: " + exit.lastLogLine());
                if (running) {
                    log.warn("{}; replacing it{}", lastFailure, consecutiveFailures > 1 ? " (failure " + consecutiveFailures + " in a row)" : "");
                    if (worker.counted) {
                        worker.counted = false;
                        scheduleSpawn(SpawnReason.REPLACE, backoff());
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
    private Attempt handOn(Call call, long pid) {
        call.redispatches++;
        call.attempt = null;
        redispatches.increment();
        log.info("Python worker {} ended before it read request {} ({}); handing the request to another worker",
                pid, call.request.getId(), call.op);
        Worker free = takeIdleWorker();
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
        List<Call> calls = new ArrayList<>();
        Call call;
        while ((call = pollQueue()) != null) {
            call.finish();
            calls.add(call);
        }
        StorageException failure = noWorker();
        execute(() -> calls.forEach(c -> fail(c, failure, "worker_unavailable")));
    }

    // ------------------------------------------------------------------ spawning, retiring, health

    /** Under the monitor. */
    private void scheduleSpawn(SpawnReason reason, Duration delay) {
        scheduler.schedule(() -> spawn(reason), delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void spawn(SpawnReason reason) {
        synchronized (this) {
            if (!running) {
                return;
            }
            long now = System.nanoTime();
            pruneSpawnTimes(now);
            if (spawnTimes.size() >= config.spawnStormLimit()) {
                Duration wait = Duration.ofNanos(spawnTimes.peekFirst() + STORM_WINDOW.toNanos() - now).plusMillis(10);
                if (!storm) {
                    storm = true;
                    spawnStorms.increment();
                    log.warn("Python worker spawn storm: {} spawns in the last minute reached python-worker.spawn-storm-limit={}; "
                            + "holding respawns back (next in {} s). Last failure: {}", spawnTimes.size(), config.spawnStormLimit(),
                            wait.toSeconds(), lastFailure.isEmpty() ? "none" : lastFailure);
                }
                scheduleSpawn(reason, wait);
                updateReadiness();
                return;
            }
            spawnTimes.addLast(now);
        }
        WorkerIo io;
        try {
            io = launcher.launch(reason);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                replacements("start_failed").increment();
                consecutiveFailures++;
                startFailures++;
                lastFailure = "cannot start " + config.python() + " -m quantbot_worker: " + e.getMessage();
                log.error("{}; retrying in {} ms", lastFailure, backoff().toMillis());
                if (running) {
                    scheduleSpawn(SpawnReason.REPLACE, backoff());
                    failQueuedIfNoWorker();
                    updateReadiness();
                }
            }
            return;
        }
        WorkerProcess process = new WorkerProcess(io, this);
        Worker worker = new Worker(process, reason);
        synchronized (this) {
            if (!running) {
                io.kill();
                return;
            }
            workers.put(process, worker);
            worker.startTimeout = scheduler.schedule(() -> startTimedOut(worker), config.startTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        log.debug("Spawned python worker {} ({})", process.pid(), reason.tag());
        try {
            process.start(configure);
        } catch (IOException e) {
            log.warn("Sending Configure to python worker {} failed ({}); killing it", process.pid(), e.getMessage());
            process.kill();
        }
    }

    private void startTimedOut(Worker worker) {
        synchronized (this) {
            if (worker.state != State.STARTING || !workers.containsKey(worker.process)) {
                return;
            }
            consecutiveFailures++;
            startFailures++;
            lastFailure = "python worker " + worker.process.pid() + " did not answer Ready within " + config.startTimeout()
                    + " (python-worker.start-timeout)";
            log.warn("{}; killing and replacing it", lastFailure);
            retire(worker, SpawnReason.REPLACE, "start_timeout", backoff());
            failQueuedIfNoWorker();
            updateReadiness();
        }
        worker.process.kill();
    }

    /** Takes the worker out of service and schedules its replacement. Under the monitor. */
    private void retire(Worker worker, SpawnReason replacement, String cause, Duration delay) {
        worker.state = State.RETIRING;
        worker.cancelTimers();
        if (replacement == SpawnReason.RECYCLE) {
            recycles(cause).increment();
        } else {
            replacements(cause).increment();
        }
        if (worker.counted && running) {
            worker.counted = false;
            scheduleSpawn(replacement, delay);
        }
    }

    /** Recycles a healthy idle worker: EOF on its input (it exits 0), killed if it lingers. Under the monitor. */
    private void retireGracefully(Worker worker, String cause) {
        log.info("Recycling python worker {} after {} requests ({})", worker.process.pid(), worker.served, cause.replace('_', '-'));
        retire(worker, SpawnReason.RECYCLE, cause, Duration.ZERO);
        WorkerProcess process = worker.process;
        execute(process::closeInput);
        if (running) {
            scheduler.schedule(() -> {
                if (process.isAlive()) {
                    log.warn("Recycled python worker {} did not exit within {}; killing it", process.pid(), config.cancelGrace());
                    process.kill();
                }
            }, config.cancelGrace().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void pingIdleWorkers() {
        List<Worker> silent = new ArrayList<>();
        List<Worker> stopped = new ArrayList<>();
        Map<Worker, Long> pings = new LinkedHashMap<>();
        synchronized (this) {
            if (!running) {
                return;
            }
            for (Worker worker : workers.values()) {
                if (worker.state != State.IDLE) {
                    continue;
                }
                if (worker.process.runState() == WorkerIo.RunState.STOPPED) {
                    stopped.add(worker);
                } else if (worker.pingNonce != 0) {
                    silent.add(worker);
                } else {
                    worker.pingNonce = pingNonces.incrementAndGet();
                    pings.put(worker, worker.pingNonce);
                }
            }
            for (Worker worker : silent) {
                consecutiveFailures++;
                lastFailure = "python worker " + worker.process.pid() + " did not answer a health ping within "
                        + config.pingInterval() + " (python-worker.ping-interval)";
                log.warn("{}; killing and replacing it", lastFailure);
                retire(worker, SpawnReason.REPLACE, "unresponsive", backoff());
            }
            // Stopped: no need to wait a ping interval for the answer that cannot come.
            stopped.forEach(worker -> dropIdleWorker(worker, "stopped", "is stopped (SIGSTOP, SIGTSTP or a tracer)"));
        }
        silent.forEach(worker -> worker.process.kill());
        pings.forEach((worker, nonce) -> sendQuietly(worker, () -> worker.process.ping(nonce)));
    }

    private void maintain() {
        synchronized (this) {
            if (!running) {
                return;
            }
            pruneSpawnTimes(System.nanoTime());
            // Hysteresis: the storm is over once the rate fell well below the limit, not at the first spawn it allows.
            if (storm && spawnTimes.size() <= config.spawnStormLimit() / 2) {
                storm = false;
                log.info("Python worker spawn storm over: {} spawns in the last minute", spawnTimes.size());
            }
            updateReadiness();
        }
    }

    private void pruneSpawnTimes(long now) {
        while (!spawnTimes.isEmpty() && now - spawnTimes.peekFirst() >= STORM_WINDOW.toNanos()) {
            spawnTimes.pollFirst();
        }
    }

    /** Under the monitor. */
    private void updateReadiness() {
        if (!running) {
            return;
        }
        if (storm) {
            readiness.markNotReady(READINESS_CONDITION, "spawn storm: " + spawnTimes.size() + " python worker spawns in the last minute"
                    + " reached python-worker.spawn-storm-limit=" + config.spawnStormLimit() + ", respawns held back; last failure: "
                    + (lastFailure.isEmpty() ? "none" : lastFailure));
        } else if (!warm) {
            String reason = startFailures > 0
                    ? "python workers fail to start (" + startFailures + " in a row): " + lastFailure
                    : "starting: " + workersReady() + " of " + config.poolSize() + " python workers ready";
            readiness.require(READINESS_CONDITION, reason);
        } else {
            readiness.markReady(READINESS_CONDITION);
        }
    }

    private Duration backoff() {
        if (consecutiveFailures <= 0) {
            return Duration.ZERO;
        }
        Duration delay = BACKOFF_BASE.multipliedBy(1L << Math.min(consecutiveFailures - 1, 20));
        return delay.compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : delay;
    }

    // ------------------------------------------------------------------ completion and metrics

    private CompletableFuture<Result> rejected(String op, long started, StorageException failure) {
        record(op, failure.code().name().toLowerCase(Locale.ROOT), started);
        return CompletableFuture.failedFuture(failure);
    }

    private void succeed(Call call, Result result) {
        record(call.op, "ok", call.startedNanos);
        execute(() -> call.future.complete(result));
    }

    private void fail(Call call, StorageException failure, String outcome) {
        record(call.op, outcome, call.startedNanos);
        execute(() -> call.future.completeExceptionally(failure));
    }

    /** Futures complete off the reader threads, so callers' continuations cannot hold up a worker's frames. */
    private void execute(Runnable task) {
        ExecutorService executor = completions;
        try {
            if (executor != null) {
                executor.execute(task);
                return;
            }
        } catch (RejectedExecutionException e) {
            // stopped: run it here
        }
        task.run();
    }

    private void record(String op, String outcome, long startedNanos) {
        Timer.builder("quantbot.python_worker.request")
                .description("Coarse calls through the python worker pool, from submit to completion (queue wait included), by op and outcome")
                .tag("op", op)
                .tag("outcome", outcome)
                .serviceLevelObjectives(ms(1), ms(5), ms(25), ms(100), ms(500), ms(2_500), ms(10_000), ms(60_000), ms(600_000))
                .register(registry)
                .record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    }

    private Counter replacements(String cause) {
        return Counter.builder("quantbot.python_worker.replacements")
                .description("Python workers killed or lost and replaced, by cause")
                .tag("cause", cause)
                .register(registry);
    }

    private Counter recycles(String cause) {
        return Counter.builder("quantbot.python_worker.recycles")
                .description("Python workers retired and replaced while answering, by cause (max_requests, max_rss,"
                        + " state_changed: a request changed the worker's shared database)")
                .tag("cause", cause)
                .register(registry);
    }

    // ------------------------------------------------------------------ WorkerPoolStatus

    @Override
    public int poolSize() {
        return config.poolSize();
    }

    @Override
    public synchronized int workersReady() {
        int ready = 0;
        for (Worker worker : workers.values()) {
            if (worker.state == State.IDLE || worker.state == State.BUSY) {
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

    synchronized int workersBusy() {
        int busy = 0;
        for (Worker worker : workers.values()) {
            if (worker.state == State.BUSY) {
                busy++;
            }
        }
        return busy;
    }

    synchronized int queueDepth() {
        int depth = 0;
        for (Call call : queue) {
            if (!call.done) {
                depth++;
            }
        }
        return depth;
    }

    synchronized boolean inStorm() {
        return storm;
    }

    /** Pids of the live worker processes (retiring ones included), for tests and diagnostics. */
    synchronized List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        for (Iterator<WorkerProcess> it = workers.keySet().iterator(); it.hasNext(); ) {
            pids.add(it.next().pid());
        }
        return pids;
    }

    // ------------------------------------------------------------------ helpers

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    private static Duration maxDuration(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    /** One call: its request (id set), deadline and future. Mutable fields are guarded by the pool's monitor. */
    private static final class Call {
        final Request request;
        final String op;
        final long startedNanos;
        final long deadlineNanos;
        final CompletableFuture<Result> future = new CompletableFuture<>();
        boolean done;
        /** The worker's hand-over of the call; null while it waits in the queue. */
        Attempt attempt;
        int redispatches;
        ScheduledFuture<?> deadlineTask;

        Call(Request request, String op, long startedNanos, long deadlineNanos) {
            this.request = request;
            this.op = op;
            this.startedNanos = startedNanos;
            this.deadlineNanos = deadlineNanos;
        }

        void finish() {
            done = true;
            if (deadlineTask != null) {
                deadlineTask.cancel(false);
            }
        }
    }

    /** One hand-over of a call to a worker. {@code accepted} is guarded by the pool's monitor, the send flags by the attempt's own. */
    private static final class Attempt {
        final Call call;
        final Worker worker;
        /** The worker acknowledged the request (it has read it and may run it). */
        boolean accepted;
        // Guarded by the attempt's own monitor: a Cancel frame never overtakes its request.
        boolean requestSent;
        boolean cancelRequested;

        Attempt(Call call, Worker worker) {
            this.call = call;
            this.worker = worker;
        }
    }

    /** One worker process and what the pool knows about it. Mutable fields are guarded by the pool's monitor. */
    private static final class Worker {
        final WorkerProcess process;
        final SpawnReason reason;
        final long spawnedNanos = System.nanoTime();
        State state = State.STARTING;
        /** The request the worker runs; its future may already be failed (cancelled, past its deadline). */
        Call call;
        long served;
        long pingNonce;
        String recycleCause;
        /** Counts toward the pool size until a replacement was scheduled for it. */
        boolean counted = true;
        ScheduledFuture<?> startTimeout;
        ScheduledFuture<?> cancelKill;
        ScheduledFuture<?> acceptTimer;

        Worker(WorkerProcess process, SpawnReason reason) {
            this.process = process;
            this.reason = reason;
        }

        void cancelTimers() {
            if (startTimeout != null) {
                startTimeout.cancel(false);
                startTimeout = null;
            }
            if (cancelKill != null) {
                cancelKill.cancel(false);
                cancelKill = null;
            }
            if (acceptTimer != null) {
                acceptTimer.cancel(false);
                acceptTimer = null;
            }
        }
    }
}
