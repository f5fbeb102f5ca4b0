package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.storage.StorageMaintenance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Path;

/** Maintenance of the embedded engine: DuckDB's online backup with the lake, the lake re-hash, the orphan sweep. */
@Singleton
final class DuckDbMaintenance implements StorageMaintenance {
    private final DatabaseBackup backup;
    private final DuckDbLakeCatalog catalog;
    private final OrphanSweeper orphans;

    @Inject
    DuckDbMaintenance(DatabaseBackup backup, DuckDbLakeCatalog catalog, OrphanSweeper orphans) {
        this.backup = requireNonNull(backup, "backup is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.orphans = requireNonNull(orphans, "orphans is null");
    }

    @Override
    public BackupResult backupTo(Path target) {
        return backup.backupTo(target);
    }

    @Override
    public IntegrityReport verifyLake() {
        return catalog.verifyLake();
    }

    @Override
    public OrphanSweep sweepOrphans() {
        return orphans.sweep();
    }
}
