package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * The operator's maintenance of the storage, whatever the engine: an online backup, a re-hash of the lake against
 * the catalog, and the removal of files no catalog entry names. The admin HTTP endpoints and the CLI use this port;
 * each engine module binds its implementation.
 */
public interface StorageMaintenance {
    /** A finished backup: where it is, how many lake files it holds, how long it took. */
    record BackupResult(Path target, long lakeFiles, long millis) {
        public BackupResult {
            requireNonNull(target, "target is null");
        }
    }

    /** One file the verify operation found wrong. */
    record IntegrityProblem(String artifactId, String path, String problem) {}

    /** What verify found: files checked, bytes hashed, and every mismatch or missing file. */
    record IntegrityReport(long checked, long bytesHashed, long millis, List<IntegrityProblem> mismatched, List<IntegrityProblem> missing) {
        public IntegrityReport {
            mismatched = List.copyOf(mismatched);
            missing = List.copyOf(missing);
        }

        public boolean clean() {
            return mismatched.isEmpty() && missing.isEmpty();
        }
    }

    /** Files removed because no catalog entry names them, and how many younger ones were kept. */
    record OrphanSweep(List<String> removed, long removedBytes, int keptRecent) {
        public OrphanSweep {
            removed = List.copyOf(removed);
        }
    }

    /** An online, consistent copy of the storage into a new folder, private to the daemon's user. */
    BackupResult backupTo(Path target);

    /** Re-hashes every artifact file against the catalog. */
    IntegrityReport verifyLake();

    /** Removes unnamed lake and staging files older than lake.orphan-grace-period. */
    OrphanSweep sweepOrphans();
}
