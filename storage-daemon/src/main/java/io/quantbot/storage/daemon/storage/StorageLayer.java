package io.quantbot.storage.daemon.storage;

/**
 * Everything behind the ports, started and stopped as one component: the storage engine (embedded: DuckDB and
 * the Parquet lake) and then the Python worker pool, which every engine shares (workers read Parquet files).
 */
public interface StorageLayer extends io.quantbot.storage.daemon.lifecycle.Managed {
    /** The engine's name and version (embedded: {@code duckdb} and DuckDB's version). */
    StorageEngine.EngineInfo engine();

    int schemaVersion();
}
