package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.worker.v1.Pong;
import io.quantbot.storage.worker.v1.Ready;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers' side of the pool: spawning (through the launcher, with {@link SpawnControl}'s backoff and
 * spawn-storm guard), start timeouts, health pings ({@link WorkerHealth}), retiring and recycling, replacing
 * workers that end, and the pool's readiness condition. It knows nothing of calls beyond failing the queued ones
 * when no worker can start.
 *
 * <p>Methods named "under the lock" run with {@link PoolState}'s monitor held by their caller; the timer
 * callbacks take it themselves, and kill processes or write frames only after releasing it (a kill is a signal
 * and does not wait, so it may happen under the lock).
 */
final class WorkerSupervisor {
    static final String READINESS_CONDITION = "python-workers";
    private static final Logger log = LoggerFactory.getLogger(WorkerSupervisor.class);
    private static final Duration MAINTENANCE_PERIOD = Duration.ofSeconds(1);

    private final PythonWorkerConfig config;
    private final WorkerProcessLauncher launcher;
    private final Readiness readiness;
    private final PoolClock clock;
    private final PoolMetrics metrics;
    private final CompletionExecutor completions;
    private final CallCompletion outcomes;
    private final PoolState state;
    private final WorkerProcess.Listener listener;

    WorkerSupervisor(PythonWorkerConfig config, WorkerProcessLauncher launcher, Readiness readiness, PoolClock clock, PoolMetrics metrics,
            CompletionExecutor completions, CallCompletion outcomes, PoolState state, WorkerProcess.Listener listener) {
        this.config = requireNonNull(config, "config is null");
        this.launcher = requireNonNull(launcher, "launcher is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.completions = requireNonNull(completions, "completions is null");
        this.outcomes = requireNonNull(outcomes, "outcomes is null");
        this.state = requireNonNull(state, "state is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** Schedules the first pool-size spawns, the health pings and the maintenance round. Under the lock, once running. */
    void start() {
        updateReadiness();
        for (int i = 0; i < config.poolSize(); i++) {
            scheduleSpawn(SpawnReason.START, Duration.ZERO);
        }
        clock.schedule(this::pingIdleWorkers, config.pingInterval());
        clock.schedule(this::maintain, MAINTENANCE_PERIOD);
    }

    // ------------------------------------------------------------------ choosing a worker

    /**
     * An idle worker that will read what it is sent, or null. Asks the operating system first: a worker that
     * exited or is stopped (SIGSTOP) is never chosen; it is killed and replaced instead. Under the lock.
     */
    PooledWorker takeIdleWorker() {
        for (PooledWorker worker : state.workers.values()) {
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

    /** Why no call can run now (no worker is up and starting one keeps failing), or null. Under the lock. */
    StorageException unavailable() {
        return state.workersReady() == 0 && state.spawns.startFailures() > 0 ? noWorker() : null;
    }

    /**
     * A worker failed in a way only killing cures (not acknowledging a request in time): counted as a failure,
     * logged, retired and replaced after the backoff; the caller kills it outside the lock. Under the lock.
     */
    void replaceFailed(PooledWorker worker, String cause, String failure, String action) {
        state.spawns.failed(failure, false);
        log.warn("{}; {}", state.spawns.lastFailure(), action);
        retire(worker, SpawnReason.REPLACE, cause, state.spawns.backoff());
    }

    /** Why no call can run: no worker is up and starting one keeps failing. Under the lock. */
    private StorageException noWorker() {
        Duration backoff = state.spawns.backoff();
        return StorageException.builder(ErrorCode.WORKER_UNAVAILABLE,
                        "no python worker is running: " + state.spawns.lastFailure() + "; the pool keeps trying to start one, retry later")
                .retryAfter(backoff.compareTo(Duration.ofSeconds(1)) >= 0 ? backoff : Duration.ofSeconds(1))
                .build();
    }

    /** Takes an idle worker that cannot read out of service: killed (a signal, no wait) and replaced. Under the lock. */
    private void dropIdleWorker(PooledWorker worker, String cause, String what) {
        state.spawns.failed("python worker " + worker.pid() + " " + what + " while idle", false);
        log.warn("{}; it gets no more calls and is killed and replaced", state.spawns.lastFailure());
        retire(worker, SpawnReason.REPLACE, cause, state.spawns.backoff());
        worker.process.kill();
    }

    // ------------------------------------------------------------------ worker events

    /** The worker answered Ready: it turns idle (the caller gives it a queued call). Null if the pool does not expect it. Under the lock. */
    PooledWorker ready(WorkerProcess process, Ready ready) {
        PooledWorker worker = state.workers.get(process);
        if (worker == null || !worker.is(PooledWorker.State.STARTING)) {
            return null;
        }
        worker.ready();
        state.spawns.ready();
        state.pythonVersion = ready.getPythonVersion();
        state.duckDbVersion = ready.getDuckdbVersion();
        if (state.running) {
            if (!state.warm && state.workersReady() >= config.poolSize()) {
                state.warm = true;
                log.info("Python worker pool warm: {} workers (python {}, duckdb {}, pyarrow {})",
                        config.poolSize(), state.pythonVersion, state.duckDbVersion, ready.getPyarrowVersion());
            }
            updateReadiness();
        }
        return worker;
    }

    void pong(WorkerProcess process, Pong pong) {
        synchronized (state) {
            PooledWorker worker = state.workers.get(process);
            if (worker == null) {
                return;
            }
            if (state.health.answered(worker, pong) && worker.recycleCause == null) {
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

    /**
     * The worker's process ended (already removed from the table; its call, if any, was handed on or failed by
     * the dispatcher): count it, and replace it unless the pool meant to retire it. Under the lock.
     */
    void ended(PooledWorker worker, boolean starting, boolean retiring, WorkerProcess.WorkerExit exit, String message) {
        if (retiring) {
            log.debug("{}", message);
            return;
        }
        String cause = starting ? "start_failed" : exit.kind() == WorkerProcess.ExitKind.EXITED ? "crashed" : "broke_framing";
        metrics.replaced(cause);
        state.spawns.failed(message + (exit.lastLogLine().isEmpty() ? "" : "; its last log line: " + exit.lastLogLine()), starting);
        worker.retire();
        if (state.running) {
            int failures = state.spawns.consecutiveFailures();
            log.warn("{}; replacing it{}", state.spawns.lastFailure(), failures > 1 ? " (failure " + failures + " in a row)" : "");
            if (worker.counted) {
                worker.counted = false;
                scheduleSpawn(SpawnReason.REPLACE, state.spawns.backoff());
            }
            if (starting) {
                failQueuedIfNoWorker();
            }
            updateReadiness();
        }
    }

    // ------------------------------------------------------------------ spawning

    /** Under the lock. */
    private void scheduleSpawn(SpawnReason reason, Duration delay) {
        clock.schedule(() -> spawn(reason), delay);
    }

    private void spawn(SpawnReason reason) {
        synchronized (state) {
            if (!state.running) {
                return;
            }
            if (state.spawns.trySpawn(clock.nanoTime()) instanceof SpawnControl.Hold hold) {
                if (hold.stormStarted()) {
                    metrics.spawnStorm();
                    log.warn("Python worker spawn storm: {} spawns in the last minute reached python-worker.spawn-storm-limit={}; "
                            + "holding respawns back (next in {} s). Last failure: {}", state.spawns.spawnsInWindow(), state.spawns.limit(),
                            hold.delay().toSeconds(), state.spawns.lastFailureIfAny().orElse("none"));
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
            synchronized (state) {
                metrics.replaced("start_failed");
                state.spawns.failed("cannot start " + config.python() + " -m quantbot_worker: " + e.getMessage(), true);
                log.error("{}; retrying in {} ms", state.spawns.lastFailure(), state.spawns.backoff().toMillis());
                if (state.running) {
                    scheduleSpawn(SpawnReason.REPLACE, state.spawns.backoff());
                    failQueuedIfNoWorker();
                    updateReadiness();
                }
            }
            return;
        }
        WorkerProcess process = new WorkerProcess(io, listener);
        PooledWorker worker = new PooledWorker(process, reason, clock.nanoTime());
        synchronized (state) {
            if (!state.running) {
                io.kill();
                return;
            }
            state.workers.put(process, worker);
            worker.startTimeout = clock.schedule(() -> startTimedOut(worker), config.startTimeout());
        }
        log.debug("Spawned python worker {} ({})", process.pid(), reason.tag());
        try {
            process.start(state.configure);
        } catch (IOException e) {
            log.warn("Sending Configure to python worker {} failed ({}); killing it", process.pid(), e.getMessage());
            process.kill();
        }
    }

    private void startTimedOut(PooledWorker worker) {
        synchronized (state) {
            if (!worker.is(PooledWorker.State.STARTING) || !state.workers.containsKey(worker.process)) {
                return;
            }
            state.spawns.failed("python worker " + worker.pid() + " did not answer Ready within " + config.startTimeout()
                    + " (python-worker.start-timeout)", true);
            log.warn("{}; killing and replacing it", state.spawns.lastFailure());
            retire(worker, SpawnReason.REPLACE, "start_timeout", state.spawns.backoff());
            failQueuedIfNoWorker();
            updateReadiness();
        }
        worker.process.kill();
    }

    /** After a worker failed to start: with no worker up, queued calls would only wait for their deadline. Under the lock. */
    private void failQueuedIfNoWorker() {
        if (state.workersReady() > 0 || state.queue.isEmpty()) {
            return;
        }
        List<PoolCall> calls = state.queue.drain();
        calls.forEach(PoolCall::finish);
        StorageException failure = noWorker();
        completions.execute(() -> calls.forEach(call -> outcomes.fail(call, failure, "worker_unavailable")));
    }

    // ------------------------------------------------------------------ retiring

    /** Takes the worker out of service and schedules its replacement. Under the lock. */
    void retire(PooledWorker worker, SpawnReason replacement, String cause, Duration delay) {
        worker.retire();
        if (replacement == SpawnReason.RECYCLE) {
            metrics.recycled(cause);
        } else {
            metrics.replaced(cause);
        }
        if (worker.counted && state.running) {
            worker.counted = false;
            scheduleSpawn(replacement, delay);
        }
    }

    /** Recycles a healthy idle worker: EOF on its input (it exits 0), killed if it lingers. Under the lock. */
    void retireGracefully(PooledWorker worker, String cause) {
        log.info("Recycling python worker {} after {} requests ({})", worker.pid(), worker.served(), cause.replace('_', '-'));
        retire(worker, SpawnReason.RECYCLE, cause, Duration.ZERO);
        WorkerProcess process = worker.process;
        completions.execute(process::closeInput);
        if (state.running) {
            clock.schedule(() -> {
                if (process.isAlive()) {
                    log.warn("Recycled python worker {} did not exit within {}; killing it", process.pid(), config.cancelGrace());
                    process.kill();
                }
            }, config.cancelGrace());
        }
    }

    // ------------------------------------------------------------------ health and readiness

    private void pingIdleWorkers() {
        WorkerHealth.Round round;
        synchronized (state) {
            if (!state.running) {
                return;
            }
            round = state.health.round(state.workers.values());
            for (PooledWorker worker : round.silent()) {
                state.spawns.failed("python worker " + worker.pid() + " did not answer a health ping within "
                        + config.pingInterval() + " (python-worker.ping-interval)", false);
                log.warn("{}; killing and replacing it", state.spawns.lastFailure());
                retire(worker, SpawnReason.REPLACE, "unresponsive", state.spawns.backoff());
            }
            round.stopped().forEach(worker -> dropIdleWorker(worker, "stopped", "is stopped (SIGSTOP, SIGTSTP or a tracer)"));
            clock.schedule(this::pingIdleWorkers, config.pingInterval());
        }
        round.silent().forEach(worker -> worker.process.kill());
        round.pings().forEach((worker, nonce) -> worker.sendOrKill(() -> worker.process.ping(nonce)));
    }

    private void maintain() {
        synchronized (state) {
            if (!state.running) {
                return;
            }
            if (state.spawns.stormOver(clock.nanoTime())) {
                log.info("Python worker spawn storm over: {} spawns in the last minute", state.spawns.spawnsInWindow());
            }
            updateReadiness();
            clock.schedule(this::maintain, MAINTENANCE_PERIOD);
        }
    }

    /** Under the lock. */
    private void updateReadiness() {
        if (!state.running) {
            return;
        }
        SpawnControl spawns = state.spawns;
        if (spawns.inStorm()) {
            readiness.markNotReady(READINESS_CONDITION, "spawn storm: " + spawns.spawnsInWindow() + " python worker spawns in the last minute"
                    + " reached python-worker.spawn-storm-limit=" + spawns.limit() + ", respawns held back; last failure: "
                    + spawns.lastFailureIfAny().orElse("none"));
        } else if (!state.warm) {
            String reason = spawns.startFailures() > 0
                    ? "python workers fail to start (" + spawns.startFailures() + " in a row): " + spawns.lastFailure()
                    : "starting: " + state.workersReady() + " of " + config.poolSize() + " python workers ready";
            readiness.require(READINESS_CONDITION, reason);
        } else {
            readiness.markReady(READINESS_CONDITION);
        }
    }

    static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
