package io.quantbot.storage.daemon.storage;

import com.google.inject.AbstractModule;
import io.quantbot.storage.daemon.info.WorkerPoolStatus;
import io.quantbot.storage.daemon.state.StateRepository;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbStateRepository;

/** Binds the ports of the domain to their storage implementations. */
public final class StorageModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(StorageLayer.class).to(DefaultStorageLayer.class);
        bind(StateRepository.class).to(DuckDbStateRepository.class);
        bind(WorkerPoolStatus.class).to(NoWorkerPool.class);
    }
}
