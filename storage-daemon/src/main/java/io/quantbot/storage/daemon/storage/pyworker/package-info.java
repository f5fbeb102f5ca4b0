/**
 * The warm pool of Python DuckDB workers (ARCHITECTURE.md, "The worker protocol"): one public interface,
 * {@link io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool}, the Guice module
 * {@link io.quantbot.storage.daemon.storage.pyworker.PythonWorkerModule}, and package-private parts:
 * the launcher (the daemon's only process spawner, which counts every spawn), the framing, one
 * {@code WorkerProcess} per worker, the pool itself, and {@code PythonBatchEngine}, the BatchEngine over it.
 * Only the storage layer may use this package (ArchUnit rule and source scan in enforcement/).
 */
package io.quantbot.storage.daemon.storage.pyworker;
