package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.state.StateEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code migrate} copies out of a stopped embedded daemon's data dir, read once through its database opened
 * read-only: the live state keys (expired ones left out), every artifact record with its status reason, the supersede
 * history, and the runs, split into complete ones (finished, and sealed into a run_results artifact or left with no
 * rows to seal), which are recorded in the cluster as sealed, and the ones that are not sealed (still running, or
 * finished with rows not sealed into an artifact), which are not migrated. Artifact paths are relative to
 * {@link #dataDir()}.
 */
public record MigrationSource(Path dataDir, int schemaVersion, List<StateEntry> state, long expiredKeys, List<Artifact> artifacts,
        List<Supersede> supersedes, List<RunRecord> completeRuns, List<UnsealedRun> unsealedRuns) {

    public MigrationSource {
        requireNonNull(dataDir, "dataDir is null");
        state = List.copyOf(state);
        artifacts = List.copyOf(artifacts);
        supersedes = List.copyOf(supersedes);
        completeRuns = List.copyOf(completeRuns);
        unsealedRuns = List.copyOf(unsealedRuns);
    }

    /** An artifact record with the reason its status was last changed (the record itself does not carry it). */
    public record Artifact(ArtifactRecord record, Optional<String> statusReason) {
        public Artifact {
            requireNonNull(record, "record is null");
            requireNonNull(statusReason, "statusReason is null");
        }
    }

    /** One row of the supersede history: old retired in favour of new (empty = tombstoned). */
    public record Supersede(String oldId, Optional<String> newId, String reason, long atMs) {
        public Supersede {
            requireNonNull(oldId, "oldId is null");
            requireNonNull(newId, "newId is null");
            requireNonNull(reason, "reason is null");
        }
    }

    /** A run that is not sealed: RUNNING, or finished with its rows still in the hot table. */
    public record UnsealedRun(String runId, String sweepId, String status, String sealMode, long rows) {
        public String describe() {
            return runId + " (sweep " + sweepId + ", " + status + (status.equals("running") ? "" : ", not sealed, seal mode " + sealMode)
                    + ", " + rows + " rows)";
        }
    }
}
