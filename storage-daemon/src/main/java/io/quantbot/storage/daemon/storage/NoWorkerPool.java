package io.quantbot.storage.daemon.storage;

import io.quantbot.storage.daemon.info.WorkerPoolStatus;

/** The status reported while the daemon runs without Python workers. */
final class NoWorkerPool implements WorkerPoolStatus {
    @Override
    public int poolSize() {
        return 0;
    }

    @Override
    public int workersReady() {
        return 0;
    }

    @Override
    public long spawnCount() {
        return 0;
    }

    @Override
    public String pythonVersion() {
        return "";
    }

    @Override
    public String pythonDuckDbVersion() {
        return "";
    }
}
