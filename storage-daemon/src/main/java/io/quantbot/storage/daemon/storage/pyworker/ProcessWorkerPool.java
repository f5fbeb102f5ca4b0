package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.storage.LakeRoots;
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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool: N long-lived workers, a bounded queue of calls, one call per worker at a time. This class is the
 * pool's face (PythonWorkerPool for the storage layer, WorkerPoolStatus for info and the gauges, the workers'
 * event listener) and its lifecycle; the work is done by two parts over one shared state:
 * <ul>
 *   <li>{@link CallDispatcher}: admission and the queue, handing calls to workers, acknowledgement, cancel and
 *       deadline, answers, handing a call on when its worker ended before reading it;
 *   <li>{@link WorkerSupervisor}: spawning with backoff and the spawn-storm guard ({@link SpawnControl}), start
 *       timeouts, health pings ({@link WorkerHealth}), recycling and replacing workers, readiness;
 *   <li>{@link PoolState}: the workers, the queue and the flags, guarded by its monitor (the pool's one lock);
 *       {@link PooledWorker} is one worker's state machine, {@link PoolCall} one call;
 *   <li>{@link PoolMetrics} and {@link CallCompletion} (outcomes and latency; callers' futures completed on the
 *       bounded {@link CompletionExecutor}); every timer runs on the injected {@link PoolClock}.
 * </ul>
 *
 * <p>Life of a worker: spawned, Configure sent, warm after Ready; health-pinged while idle (killed
 * and replaced when a ping stays unanswered until the next one, or at once when it is found stopped);
 * recycled after max-requests or when a Pong reports more than max-rss; replaced when it exits, breaks
 * framing, fails to start in time or does not acknowledge a request in time. Replacements after failures
 * back off exponentially, and the spawn-storm guard allows at most python-worker.spawn-storm-limit spawns
 * per minute: past it, readiness turns not ready with the reason, a warning is logged, a counter and a
 * gauge move, and the next spawn waits for the window. Life of a call: see {@link CallDispatcher}.
 */
@Singleton
final class ProcessWorkerPool implements PythonWorkerPool, WorkerPoolStatus, WorkerProcess.Listener, PoolMetrics.Gauges {
    static final String READINESS_CONDITION = WorkerSupervisor.READINESS_CONDITION;
    private static final Logger log = LoggerFactory.getLogger(ProcessWorkerPool.class);
    private static final Duration THREAD_WAIT = Duration.ofSeconds(2);
    /** Recycle cause: a request changed the worker's shared database (the worker sent retire_reason). */
    static final String STATE_CHANGED = PoolMetrics.STATE_CHANGED;

    private final PythonWorkerConfig config;
    private final DatabaseConfig database;
    private final LakeRoots lakeRoots;
    private final WorkerProcessLauncher launcher;
    private final Readiness readiness;
    private final PoolClock clock;
    private final CompletionExecutor completions;
    private final CallCompletion outcomes;
    private final PoolState state;
    private final WorkerSupervisor supervisor;
    private final CallDispatcher dispatcher;

    @Inject
    ProcessWorkerPool(PythonWorkerConfig config, DatabaseConfig database, LakeRoots lakeRoots, WorkerProcessLauncher launcher,
            Readiness readiness, MeterRegistry registry, PoolClock clock) {
        this.config = requireNonNull(config, "config is null");
        this.lakeRoots = requireNonNull(lakeRoots, "lakeRoots is null");
        this.database = requireNonNull(database, "database is null");
        this.launcher = requireNonNull(launcher, "launcher is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.state = new PoolState(new CallQueue(config.queueCapacity()), new SpawnControl(config.spawnStormLimit()), new WorkerHealth(config.maxRss()));
        PoolMetrics metrics = new PoolMetrics(requireNonNull(registry, "registry is null"), this);
        this.completions = new CompletionExecutor(config.completionThreads(), config.completionQueue(), metrics::completedInline);
        this.outcomes = new CallCompletion(metrics, completions, clock);
        this.supervisor = new WorkerSupervisor(config, launcher, readiness, clock, metrics, completions, outcomes, state, this);
        this.dispatcher = new CallDispatcher(config, clock, metrics, completions, outcomes, state, supervisor);
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void start() throws IOException {
        synchronized (state) {
            if (state.running || state.stopped) {
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
                .addAllowedDirectories(database.stagingDir().toString())
                .setStagingDir(database.stagingDir().toString())
                .setMemoryLimit(config.memoryLimit())
                .setDataLimitBytes(config.dataLimit())
                .setThreads(config.threads());
        for (Path lake : lakeRoots.lakeDirs()) {
            Files.createDirectories(lake);
            frame.addAllowedDirectories(lake.toString());
        }
        for (Path root : config.importRoots()) {
            frame.addAllowedDirectories(root.toString()).addImportRoots(root.toString());
        }
        synchronized (state) {
            state.configure = frame.build();
            state.running = true;
            supervisor.start();
        }
        log.info("Python worker pool starting {} workers ({} -m quantbot_worker, code in {})",
                config.poolSize(), config.python(), launcher.codeDir());
    }

    @Override
    public void stop() throws InterruptedException {
        List<PoolCall> failed;
        List<PooledWorker> all;
        Map<PooledWorker, PoolCall.Attempt> inFlight = new LinkedHashMap<>();
        synchronized (state) {
            if (!state.running) {
                state.stopped = true;
                return;
            }
            state.running = false;
            state.stopped = true;
            failed = state.queue.drain();
            all = new ArrayList<>(state.workers.values());
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
            outcomes.fail(call, StorageException.of(ErrorCode.SHUTTING_DOWN,
                    "the daemon is shutting down; the " + call.op + " call was cancelled"), "shutting_down");
        }
        // Off this thread: a worker that stopped reading could block a write until it is killed below.
        for (PooledWorker worker : all) {
            PoolCall.Attempt attempt = inFlight.get(worker);
            completions.execute(() -> {
                if (attempt != null) {
                    dispatcher.requestCancel(attempt);
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

    @Override
    public CompletableFuture<Result> submit(Request request, BatchCallOptions options) {
        return dispatcher.submit(request, options);
    }

    // ------------------------------------------------------------------ worker events (reader threads)

    @Override
    public void onReady(WorkerProcess process, Ready ready) {
        PooledWorker worker;
        PoolCall.Attempt next;
        synchronized (state) {
            worker = supervisor.ready(process, ready);
            if (worker == null) {
                return;
            }
            next = dispatcher.nextQueued(worker);
        }
        log.info("Python worker {} ready after {} ms ({})", process.pid(), WorkerSupervisor.millis(clock.nanoTime() - worker.spawnedNanos),
                worker.reason.tag());
        if (next != null) {
            dispatcher.dispatch(next);
        }
    }

    @Override
    public void onAccepted(WorkerProcess process, long requestId) {
        dispatcher.accepted(process, requestId);
    }

    @Override
    public void onResponse(WorkerProcess process, Response response) {
        dispatcher.answered(process, response);
    }

    @Override
    public void onPong(WorkerProcess process, Pong pong) {
        supervisor.pong(process, pong);
    }

    @Override
    public void onExit(WorkerProcess process, WorkerProcess.WorkerExit exit) {
        Runnable afterwards;
        synchronized (state) {
            PooledWorker worker = state.workers.remove(process);
            if (worker == null) {
                return;
            }
            PoolCall call = worker.call();
            boolean starting = worker.is(PooledWorker.State.STARTING);
            boolean retiring = worker.is(PooledWorker.State.RETIRING);
            String during = call == null ? (starting ? "before it was ready" : "while idle") : "during " + call.op;
            String message = exit.describe(process.pid(), during);
            // The call first (it may go to an idle worker), then the replacement.
            afterwards = dispatcher.workerEnded(worker, message);
            supervisor.ended(worker, starting, retiring, exit, message);
        }
        afterwards.run();
    }

    // ------------------------------------------------------------------ WorkerPoolStatus and gauges

    @Override
    public int poolSize() {
        return config.poolSize();
    }

    @Override
    public int workersReady() {
        synchronized (state) {
            return state.workersReady();
        }
    }

    @Override
    public long spawnCount() {
        return launcher.spawnCount();
    }

    @Override
    public String pythonVersion() {
        synchronized (state) {
            return state.pythonVersion;
        }
    }

    @Override
    public String pythonDuckDbVersion() {
        synchronized (state) {
            return state.duckDbVersion;
        }
    }

    @Override
    public int workersBusy() {
        synchronized (state) {
            return state.workersBusy();
        }
    }

    @Override
    public int queueDepth() {
        synchronized (state) {
            return state.queue.depth();
        }
    }

    @Override
    public boolean inStorm() {
        synchronized (state) {
            return state.spawns.inStorm();
        }
    }

    /** Workers running a request they acknowledged (read, so maybe ran), for tests and diagnostics. */
    int acceptedCalls() {
        synchronized (state) {
            return state.acceptedCalls();
        }
    }

    /** Pids of the live worker processes (retiring ones included), for tests and diagnostics. */
    List<Long> workerPids() {
        synchronized (state) {
            return state.workerPids();
        }
    }
}
