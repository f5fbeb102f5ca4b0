package io.quantbot.storage.daemon.storage;

import io.quantbot.storage.daemon.lifecycle.Managed;

/**
 * The engine behind the ports (embedded: DuckDB and Parquet files in one data dir). Started before the worker pool
 * and stopped after it by {@link StorageLayer}.
 */
public interface StorageEngine extends Managed {
    /** What the engine is, for GetServerInfo and the report: e.g. {@code duckdb} and its version. */
    EngineInfo info();

    /** The version of the engine's schema (its migrations). */
    int schemaVersion();

    /** An engine's name and version. */
    record EngineInfo(String name, String version) {}
}
