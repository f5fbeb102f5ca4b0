package io.quantbot.storage.daemon.storage;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.run.RunLeases;
import io.quantbot.storage.daemon.state.StateRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.storage.duckdb.EmbeddedStorageModule;
import io.quantbot.storage.daemon.storage.iceberg.IcebergLakePublisher;
import io.quantbot.storage.daemon.storage.postgres.PostgresLakeCatalog;
import io.quantbot.storage.daemon.storage.postgres.PostgresRunLeases;
import io.quantbot.storage.daemon.storage.postgres.PostgresStateRepository;
import jakarta.inject.Singleton;

/**
 * The cluster engine ({@code storage.mode = cluster}): state, the artifact catalog and the runs' record and leases in
 * the PostgreSQL every daemon of the cluster shares (storage/postgres), the catalog's lake files in the shared warehouse
 * ({@code cluster.warehouse}), and the lake as Iceberg tables in a JDBC catalog on that PostgreSQL (storage/iceberg), fed
 * after each catalog commit through the catalog's outbox (V004) and reconciled by every daemon. A run's hot rows stay in
 * the local DuckDB of the daemon that owns it until sealed ({@link ClusterRunLedger} in front of the embedded ledger);
 * candles, staging and the local maintenance stay on the node's own data dir (docs/operations.md, "Cluster mode").
 */
public final class ClusterStorageModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(StorageEngine.class).to(ClusterEngine.class);
        install(new EmbeddedStorageModule.NodeLocalPorts());
        bind(StateRepository.class).to(PostgresStateRepository.class);
        bind(LakeCatalog.class).to(PostgresLakeCatalog.class);
        bind(RunLedger.class).to(ClusterRunLedger.class);
        bind(RunLeases.class).to(PostgresRunLeases.class);
    }

    /** The node's own lake (files from before cluster mode) and the warehouse's, where the shared catalog's files live. */
    @Provides
    LakeRoots lakeRoots(io.quantbot.storage.daemon.config.DatabaseConfig database, ClusterConfig cluster) {
        return () -> java.util.List.of(database.lakeDir(), new LakeFiles(java.nio.file.Path.of(cluster.warehouse()).toAbsolutePath().normalize()).lakeDir());
    }

    /** The Iceberg lake (a JdbcCatalog on the same PostgreSQL, tables under cluster.warehouse/iceberg) fed by the catalog's outbox. */
    @Provides
    @Singleton
    IcebergLakePublisher lakePublisher(ClusterConfig cluster, PostgresLakeCatalog catalog, MeterRegistry registry) {
        return IcebergLakePublisher.create(cluster, catalog, registry);
    }

    @Provides
    @Singleton
    ClusterConfig clusterConfig(ResolvedConfig config) {
        return ClusterConfig.from(config);
    }
}
