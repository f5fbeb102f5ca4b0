package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.duckdb.DuckDbStorage;
import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/** Starts the database side, then the worker pool; stops in reverse. */
@Singleton
final class DefaultStorageLayer implements StorageLayer {
    private final DuckDbStorage duckDb;
    private final PythonWorkerPool workers;

    @Inject
    DefaultStorageLayer(DuckDbStorage duckDb, PythonWorkerPool workers) {
        this.duckDb = requireNonNull(duckDb, "duckDb is null");
        this.workers = requireNonNull(workers, "workers is null");
    }

    @Override
    public void start() throws Exception {
        duckDb.start();
        workers.start();
    }

    @Override
    public void stop() throws Exception {
        try {
            workers.stop();
        } finally {
            duckDb.stop();
        }
    }

    @Override
    public String duckDbVersion() {
        return duckDb.duckDbVersion();
    }

    @Override
    public int schemaVersion() {
        return duckDb.schemaVersion();
    }
}
