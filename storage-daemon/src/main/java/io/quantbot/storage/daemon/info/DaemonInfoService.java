package io.quantbot.storage.daemon.info;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.storage.StorageLayer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Answers GetServerInfo. */
@Singleton
public final class DaemonInfoService {
    private final StorageLayer storage;
    private final WorkerPoolStatus pool;
    private final DatabaseConfig config;
    private final long startedAtMs;

    @Inject
    public DaemonInfoService(StorageLayer storage, WorkerPoolStatus pool, DatabaseConfig config, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.pool = requireNonNull(pool, "pool is null");
        this.config = requireNonNull(config, "config is null");
        this.startedAtMs = clock.millis();
    }

    public DaemonInfo info() {
        return new DaemonInfo(
                version(),
                storage.engine().version(),
                config.dataDir().toString(),
                startedAtMs,
                storage.schemaVersion(),
                pool.poolSize(),
                pool.workersReady(),
                pool.spawnCount(),
                pool.pythonVersion(),
                pool.pythonDuckDbVersion(),
                System.getProperty("java.version", "unknown"));
    }

    public static String version() {
        String version = DaemonInfoService.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
