package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import io.quantbot.storage.daemon.config.StorageConfig;
import io.quantbot.storage.daemon.storage.duckdb.EmbeddedStorageModule;
import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerModule;

/**
 * Binds the domain's storage ports to the engine {@code storage.mode} names (one module per engine), plus the
 * Python worker pool every engine shares, behind one {@link StorageLayer}.
 */
public final class StorageModule extends AbstractModule {
    private final StorageConfig.Mode mode;

    public StorageModule(StorageConfig.Mode mode) {
        this.mode = requireNonNull(mode, "mode is null");
    }

    @Override
    protected void configure() {
        switch (mode) {
            case EMBEDDED -> install(new EmbeddedStorageModule());
            case CLUSTER -> install(new ClusterStorageModule());
        }
        bind(StorageLayer.class).to(EngineWithWorkers.class);
        install(new PythonWorkerModule());
    }
}
