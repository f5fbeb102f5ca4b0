package io.quantbot.storage.daemon.storage;

/**
 * Everything behind the ports: the DuckDB database with its writer and maintenance, and the Python
 * worker pool. Only this layer may touch the pool; the daemon starts and stops it as one component.
 */
public interface StorageLayer extends io.quantbot.storage.daemon.lifecycle.Managed {
    String duckDbVersion();

    int schemaVersion();
}
