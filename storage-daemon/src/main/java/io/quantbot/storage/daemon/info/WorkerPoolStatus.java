package io.quantbot.storage.daemon.info;

/** What the daemon reports about its Python worker pool; implemented by the storage layer. */
public interface WorkerPoolStatus {
    int poolSize();

    int workersReady();

    /** Worker processes started since the daemon started (every spawn counts, replacements included). */
    long spawnCount();

    String pythonVersion();

    String pythonDuckDbVersion();
}
