package io.quantbot.storage.daemon.storage;

import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.config.StorageConfig;
import io.quantbot.storage.daemon.storage.duckdb.OfflineLake;

/**
 * Maintenance of a stopped daemon's storage, for the CLI ({@code lake verify}): picks the engine
 * {@code storage.mode} names, so commands never reach into an engine's package.
 */
public final class OfflineMaintenance {
    private OfflineMaintenance() {}

    /** The storage cannot be opened offline (e.g. a running daemon holds it). */
    public static final class UnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Re-hashes every artifact file of the configured storage against its catalog. */
    public static StorageMaintenance.IntegrityReport verifyLake(ResolvedConfig config) throws UnavailableException {
        StorageConfig storage = StorageConfig.from(config);
        switch (storage.mode()) {
            case EMBEDDED -> {
                try {
                    return OfflineLake.verify(DatabaseConfig.from(config));
                } catch (OfflineLake.UnavailableException e) {
                    throw new UnavailableException(e.getMessage(), e);
                }
            }
            default -> throw new ConfigException(java.util.List.of("lake verify of a stopped daemon is built for storage.mode = embedded only;"
                    + " in cluster mode, use POST /admin/verify on the running daemon"));
        }
    }
}
