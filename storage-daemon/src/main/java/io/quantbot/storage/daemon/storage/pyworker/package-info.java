/**
 * The warm pool of Python DuckDB workers (ARCHITECTURE.md, "The worker protocol"): one public interface,
 * {@link io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool}, the Guice module
 * {@link io.quantbot.storage.daemon.storage.pyworker.PythonWorkerModule}, and package-private parts:
 * the launcher (the daemon's only process spawner, which counts every spawn), the framing, one
 * {@code WorkerProcess} per worker, and {@code PythonBatchEngine}, the BatchEngine over the pool.
 *
 * <p>The pool, {@code ProcessWorkerPool}, is the face (the storage layer's {@code PythonWorkerPool}, the
 * workers' event listener, the status gauges) and the lifecycle; the work is split by what it is about:
 * {@code CallDispatcher} (calls: admission through {@code CallQueue} and its QUEUE_FULL refusal, assignment,
 * acknowledgement, cancel and deadline, answers, hand-on; {@code PoolCall} is one call and its hand-overs) and
 * {@code WorkerSupervisor} (workers: spawning with {@code SpawnControl}'s backoff and spawn-storm window,
 * start timeouts, {@code WorkerHealth} pings, recycling and replacing, readiness; {@code PooledWorker} is one
 * worker's state machine, STARTING, IDLE, BUSY, RETIRING). Both work on {@code PoolState}, whose monitor is the
 * pool's one lock; {@code PoolMetrics} and {@code CallCompletion} record outcomes, and {@code CompletionExecutor}
 * (bounded threads) completes callers' futures outside the lock. Every timer runs on the injected
 * {@code PoolClock} ({@code SystemPoolClock} in the daemon; tests drive a fake one).
 * Only the storage layer may use this package (ArchUnit rule and source scan in enforcement/).
 */
package io.quantbot.storage.daemon.storage.pyworker;
