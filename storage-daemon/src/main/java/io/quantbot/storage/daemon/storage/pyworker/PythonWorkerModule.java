package io.quantbot.storage.daemon.storage.pyworker;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import io.quantbot.storage.daemon.batch.BatchEngine;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.info.WorkerPoolStatus;
import jakarta.inject.Singleton;

/**
 * The worker pool and the batch engine over it. Installed by the storage layer's module (the pool is
 * fenced to the storage layer); the storage layer starts the pool after the database and stops it
 * before. Needs ResolvedConfig (with {@link PythonWorkerConfig#PROPERTIES}), DatabaseConfig, Readiness
 * and a MeterRegistry from the other modules.
 */
public final class PythonWorkerModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(PoolClock.class).to(SystemPoolClock.class).in(Scopes.SINGLETON);
        bind(ProcessWorkerPool.class).in(Scopes.SINGLETON);
        bind(PythonWorkerPool.class).to(ProcessWorkerPool.class);
        bind(WorkerPoolStatus.class).to(ProcessWorkerPool.class);
        bind(BatchEngine.class).to(PythonBatchEngine.class);
    }

    @Provides
    @Singleton
    PythonWorkerConfig pythonWorkerConfig(ResolvedConfig config) {
        return PythonWorkerConfig.from(config);
    }
}
