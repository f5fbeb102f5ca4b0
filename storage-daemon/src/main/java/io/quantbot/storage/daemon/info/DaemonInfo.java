package io.quantbot.storage.daemon.info;

/** Introspection facts: versions, data dir, schema, worker pool. */
public record DaemonInfo(
        String version,
        String duckDbVersion,
        String dataDir,
        long startedAtMs,
        int schemaVersion,
        int workerPoolSize,
        int workersReady,
        long workerSpawnCount,
        String pythonVersion,
        String pythonDuckDbVersion,
        String javaVersion) {}
