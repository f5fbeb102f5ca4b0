package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/** The storage layer of every engine: starts the engine, then the worker pool; stops in reverse. */
@Singleton
final class EngineWithWorkers implements StorageLayer {
    private final StorageEngine engine;
    private final PythonWorkerPool workers;

    @Inject
    EngineWithWorkers(StorageEngine engine, PythonWorkerPool workers) {
        this.engine = requireNonNull(engine, "engine is null");
        this.workers = requireNonNull(workers, "workers is null");
    }

    @Override
    public void start() throws Exception {
        engine.start();
        workers.start();
    }

    @Override
    public void stop() throws Exception {
        try {
            workers.stop();
        } finally {
            engine.stop();
        }
    }

    @Override
    public StorageEngine.EngineInfo engine() {
        return engine.info();
    }

    @Override
    public int schemaVersion() {
        return engine.schemaVersion();
    }
}
