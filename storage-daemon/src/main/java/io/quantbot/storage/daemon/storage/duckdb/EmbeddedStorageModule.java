package io.quantbot.storage.daemon.storage.duckdb;

import com.google.inject.AbstractModule;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.batch.StagingWriter;
import io.quantbot.storage.daemon.candles.CandleStore;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.state.StateRepository;
import io.quantbot.storage.daemon.storage.StorageEngine;
import io.quantbot.storage.daemon.storage.StorageMaintenance;

/**
 * The embedded engine ({@code storage.mode = embedded}): one data dir, DuckDB for state, the catalog and runs,
 * Parquet files for the lake. Binds every storage port the domain uses to its DuckDB implementation.
 */
public final class EmbeddedStorageModule extends AbstractModule {
    @Override
    protected void configure() {
        install(new NodeLocalPorts());
        bind(StorageEngine.class).to(DuckDbStorage.class);
        bind(StateRepository.class).to(DuckDbStateRepository.class);
        bind(LakeCatalog.class).to(DuckDbLakeCatalog.class);
        bind(RunLedger.class).to(DuckDbRunLedger.class);
    }

    @com.google.inject.Provides
    io.quantbot.storage.daemon.storage.LakeRoots lakeRoots(io.quantbot.storage.daemon.config.DatabaseConfig database) {
        return () -> java.util.List.of(database.lakeDir());
    }

    /**
     * The ports that live on one node's data dir: candles, staging and the maintenance of the local DuckDB and lake.
     * Cluster mode installs these too (its runs keep their hot rows in the local DuckDB behind the cluster's leases).
     */
    public static final class NodeLocalPorts extends AbstractModule {
        @Override
        protected void configure() {
            bind(StorageMaintenance.class).to(DuckDbMaintenance.class);
            bind(CandleStore.class).to(DuckDbCandleStore.class);
            bind(StagingWriter.class).to(DuckDbStagingWriter.class);
        }
    }
}
