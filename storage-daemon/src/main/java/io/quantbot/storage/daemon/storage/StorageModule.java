package io.quantbot.storage.daemon.storage;

import com.google.inject.AbstractModule;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.batch.StagingWriter;
import io.quantbot.storage.daemon.candles.CandleStore;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.state.StateRepository;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbCandleStore;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbLakeCatalog;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbStagingWriter;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbStateRepository;
import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerModule;

/** Binds the ports of the domain to their storage implementations. */
public final class StorageModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(StorageLayer.class).to(DefaultStorageLayer.class);
        bind(StateRepository.class).to(DuckDbStateRepository.class);
        bind(LakeCatalog.class).to(DuckDbLakeCatalog.class);
        bind(RunLedger.class).to(DuckDbRunLedger.class);
        bind(CandleStore.class).to(DuckDbCandleStore.class);
        bind(StagingWriter.class).to(DuckDbStagingWriter.class);
        install(new PythonWorkerModule());
    }
}
