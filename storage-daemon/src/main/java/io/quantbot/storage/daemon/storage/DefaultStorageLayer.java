package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.duckdb.DuckDbStorage;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/** Starts the database side, then the worker pool; stops in reverse. */
@Singleton
final class DefaultStorageLayer implements StorageLayer {
    private final DuckDbStorage duckDb;

    @Inject
    DefaultStorageLayer(DuckDbStorage duckDb) {
        this.duckDb = requireNonNull(duckDb, "duckDb is null");
    }

    @Override
    public void start() throws Exception {
        duckDb.start();
    }

    @Override
    public void stop() throws Exception {
        duckDb.stop();
    }

    @Override
    public String duckDbVersion() {
        return duckDb.duckDbVersion();
    }

    @Override
    public int schemaVersion() {
        return duckDb.schemaVersion();
    }
}
