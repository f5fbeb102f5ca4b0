/**
 * The warm pool of Python DuckDB workers (ARCHITECTURE.md, "The worker protocol"): one public interface,
 * {@link io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool}, the Guice module
 * {@link io.quantbot.storage.daemon.storage.pyworker.PythonWorkerModule}, and package-private parts:
 * the launcher (the daemon's only process spawner, which counts every spawn), the framing, one
 * {@code WorkerProcess} per worker, and {@code PythonBatchEngine}, the BatchEngine over the pool.
 *
 * <p>The pool, {@code ProcessWorkerPool}, owns one monitor and ties together parts with one job each:
 * {@code CallQueue} (admission: the bounded queue and its QUEUE_FULL refusal), {@code PooledWorker} (one
 * worker's state machine, STARTING, IDLE, BUSY, RETIRING) and {@code PoolCall} (a call and its hand-overs
 * to workers), {@code SpawnControl} (respawn backoff and the spawn-storm window), {@code WorkerHealth}
 * (pings and stopped workers), {@code PoolMetrics}, and {@code CompletionExecutor} (the bounded threads
 * that complete callers' futures). Every timer runs on the injected {@code PoolClock}
 * ({@code SystemPoolClock} in the daemon; tests drive a fake one).
 * Only the storage layer may use this package (ArchUnit rule and source scan in enforcement/).
 */
package io.quantbot.storage.daemon.storage.pyworker;
