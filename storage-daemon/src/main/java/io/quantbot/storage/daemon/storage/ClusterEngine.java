package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.duckdb.DuckDbStorage;
import io.quantbot.storage.daemon.storage.postgres.PostgresStorage;
import io.quantbot.storage.daemon.storage.iceberg.IcebergLakePublisher;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The cluster engine: the shared PostgreSQL (state, the artifact catalog, the runs' leases) first, then the node's local
 * DuckDB part (runs' hot rows, candles, staging), then the Iceberg lake publisher (appends registered artifacts to the
 * Iceberg tables; a table reader sees an artifact within one reconcile interval of its catalog commit), then the run
 * leases' renewals; stopped in reverse. The warehouse's probe (free space, reachable; readiness {@code warehouse}) runs
 * around all of them. Its schema version is PostgreSQL's.
 */
@Singleton
final class ClusterEngine implements StorageEngine {
    private final PostgresStorage shared;
    private final DuckDbStorage local;
    private final IcebergLakePublisher lake;
    private final ClusterRunLedger runs;
    private final WarehouseSpace warehouse;

    @Inject
    ClusterEngine(PostgresStorage shared, DuckDbStorage local, IcebergLakePublisher lake, ClusterRunLedger runs, WarehouseSpace warehouse) {
        this.warehouse = requireNonNull(warehouse, "warehouse is null");
        this.shared = requireNonNull(shared, "shared is null");
        this.local = requireNonNull(local, "local is null");
        this.lake = requireNonNull(lake, "lake is null");
        this.runs = requireNonNull(runs, "runs is null");
    }

    @Override
    public void start() throws Exception {
        warehouse.start();
        try {
            startEngines();
        } catch (Exception | Error e) {
            warehouse.stop();
            throw e;
        }
    }

    private void startEngines() throws Exception {
        shared.start();
        try {
            local.start();
            lake.start();
        } catch (Exception | Error e) {
            try {
                local.stop();
            } finally {
                shared.stop();
            }
            throw e;
        }
        try {
            runs.start();
        } catch (RuntimeException | Error e) {
            try {
                lake.stop();
                local.stop();
            } finally {
                shared.stop();
            }
            throw e;
        }
    }

    @Override
    public void stop() throws Exception {
        try {
            runs.stop();
            lake.stop();
        } finally {
            try {
                local.stop();
            } finally {
                try {
                    shared.stop();
                } finally {
                    warehouse.stop();
                }
            }
        }
    }

    /** The node's DuckDB version stays the version (GetServerInfo's duckdb_version); the name says both engines. */
    @Override
    public EngineInfo info() {
        return new EngineInfo("cluster: PostgreSQL " + shared.serverVersion() + " + DuckDB", local.duckDbVersion());
    }

    @Override
    public int schemaVersion() {
        return shared.schemaVersion();
    }
}
