package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.worker.v1.Configure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the pool knows, shared by its parts ({@link ProcessWorkerPool}, {@link CallDispatcher},
 * {@link WorkerSupervisor}) and guarded by this object's monitor, the pool's one lock. Every field is read and
 * written under it; frames are written, processes started and callers' futures completed outside it.
 *
 * <p>One lock, not one per part: a worker's state and the call it runs change together (a call is assigned
 * as a worker turns busy; a worker's exit hands its call on as it schedules the replacement), so the parts
 * share the lock instead of ordering two.
 */
final class PoolState {
    final CallQueue queue;
    final SpawnControl spawns;
    final WorkerHealth health;
    final Map<WorkerProcess, PooledWorker> workers = new LinkedHashMap<>();
    /** Started and not stopped: takes calls, spawns workers, runs timers. */
    boolean running;
    /** stop() was called (calls get SHUTTING_DOWN rather than "not started"). */
    boolean stopped;
    /** pool-size workers answered Ready once (readiness turns ready). */
    boolean warm;
    String pythonVersion = "";
    String duckDbVersion = "";
    /** The frame every new worker gets first; set by start(). */
    Configure configure;

    PoolState(CallQueue queue, SpawnControl spawns, WorkerHealth health) {
        this.queue = queue;
        this.spawns = spawns;
        this.health = health;
    }

    /** Under the lock. */
    int workersReady() {
        int ready = 0;
        for (PooledWorker worker : workers.values()) {
            if (worker.takesCalls()) {
                ready++;
            }
        }
        return ready;
    }

    /** Under the lock. */
    int workersBusy() {
        int busy = 0;
        for (PooledWorker worker : workers.values()) {
            if (worker.is(PooledWorker.State.BUSY)) {
                busy++;
            }
        }
        return busy;
    }

    /** Workers running a request they acknowledged (read, so maybe ran). Under the lock. */
    int acceptedCalls() {
        int accepted = 0;
        for (PooledWorker worker : workers.values()) {
            PoolCall call = worker.call();
            if (call != null && call.attempt != null && call.attempt.accepted) {
                accepted++;
            }
        }
        return accepted;
    }

    /** Pids of the live worker processes, retiring ones included. Under the lock. */
    List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        for (WorkerProcess process : workers.keySet()) {
            pids.add(process.pid());
        }
        return pids;
    }
}
