package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.lifecycle.DataDirLock;
import io.quantbot.storage.daemon.lifecycle.StartupException;
import io.quantbot.storage.daemon.storage.duckdb.EmbeddedExport;
import io.quantbot.storage.daemon.storage.postgres.PostgresImport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code migrate}: copies a stopped embedded daemon's data dir into a cluster (issue 13). The data dir is locked the way
 * the daemon locks it ({@link DataDirLock}), so a daemon running on it refuses the migration and the migration refuses a
 * daemon; its database is read once, read-only ({@link EmbeddedExport}); the cluster side is planned and then written
 * by {@link PostgresImport}. Wires the two engines together, which only this neutral package may do.
 *
 * <p>Refusals come before any write: state keys the cluster holds with another value or version (unless
 * {@code overwriteState}), artifacts the cluster holds differently or whose logical key has another active artifact
 * there, runs the cluster holds differently or whose idempotency key a live cluster run holds, and runs that are not
 * sealed (unless {@code skipUnsealedRuns}). Finished, sealed runs are recorded in the cluster's runs table as sealed,
 * so an idempotent CreateRun returns them instead of running the scenario again. Nothing is committed to Iceberg: the
 * copied artifacts wait in the lake outbox for a cluster daemon's reconcile. A dry run plans, reports, refuses the
 * same way, and writes nothing.
 */
public final class ClusterMigration {
    /** Exit code 1: refused (conflicts, unsealed runs) or failed (PostgreSQL unreachable, an I/O error). */
    public static final int FAILED = 1;

    private ClusterMigration() {}

    public record Options(boolean dryRun, boolean skipUnsealedRuns, boolean overwriteState) {}

    /** A migration that stopped, with the exit code the command returns (the ExitCodes conventions) and a message that says what to do. */
    public static final class MigrationException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        public MigrationException(int exitCode, String message, Throwable cause) {
            super(message, cause);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    /** What a migration (or a dry run) found and did. "copied" counts are what a dry run would copy. */
    public record Summary(boolean dryRun, long stateKeys, long stateCopied, long stateAlreadyThere, long stateOverwritten, long expiredKeysSkipped,
            long artifacts, long artifactsCopied, long artifactsAlreadyThere, long filesCopied, long bytesCopied, long filesRepaired,
            long supersedeRowsCopied, long completeRuns, long runsRecorded, long unsealedRunsSkipped) {

        public List<String> lines() {
            String verb = dryRun ? "would copy" : "copied";
            List<String> lines = new ArrayList<>();
            lines.add((dryRun ? "DRY RUN (nothing was written): " : "") + "migration summary");
            lines.add("  state keys:  " + stateKeys + " live in the data dir: " + verb + " " + stateCopied + ", " + stateAlreadyThere
                    + " already in the cluster" + (stateOverwritten > 0 ? ", " + (dryRun ? "would overwrite " : "overwrote ") + stateOverwritten : "")
                    + "; " + expiredKeysSkipped + " expired keys skipped");
            lines.add("  artifacts:   " + artifacts + " in the catalog: " + verb + " " + artifactsCopied + ", " + artifactsAlreadyThere
                    + " already in the cluster; supersede history rows " + verb + ": " + supersedeRowsCopied);
            lines.add("  files:       " + verb + " " + filesCopied + " (" + bytesCopied + " bytes, SHA-256 verified)"
                    + (filesRepaired > 0 ? ", of which " + filesRepaired + " missing from the warehouse for rows already there" : ""));
            lines.add("  runs:        " + completeRuns + " finished and sealed: " + (dryRun ? "would record " : "recorded ") + runsRecorded
                    + " in the cluster, " + (completeRuns - runsRecorded) + " already there"
                    + (unsealedRunsSkipped > 0 ? "; " + unsealedRunsSkipped + " not sealed, skipped (--skip-unsealed-runs)" : ""));
            return lines;
        }
    }

    /**
     * Migrates the data dir {@code fromDataDir} (with the duckdb.* settings of {@code config}) into the cluster that
     * {@code config}'s cluster.* keys name. Progress lines go to {@code progress}.
     */
    public static Summary migrate(ResolvedConfig config, Options options, Consumer<String> progress, Clock clock) throws MigrationException {
        requireNonNull(options, "options is null");
        DatabaseConfig source = DatabaseConfig.from(config);
        ClusterConfig cluster = ClusterConfig.from(config);
        Path dataDir = source.dataDir().toAbsolutePath().normalize();
        if (!Files.isDirectory(dataDir)) {
            throw new MigrationException(StartupException.BAD_SETTING, "the data dir " + dataDir + " does not exist (or is not a folder):"
                    + " point --from-data-dir at the embedded daemon's data dir", null);
        }
        DataDirLock lock = new DataDirLock(dataDir);
        try {
            lock.acquire();
        } catch (StartupException e) {
            String message = e.exitCode() == StartupException.HELD_BY_ANOTHER_PROCESS
                    ? e.getMessage().replace("Only one daemon may own a data dir: stop that process, or point data-dir elsewhere.",
                            "Stop the embedded daemon first (migrate copies a stopped data dir), then run migrate again.")
                    : e.getMessage();
            throw new MigrationException(e.exitCode(), message, e);
        }
        try {
            MigrationSource snapshot = EmbeddedExport.read(source, clock);
            progress.accept("read " + dataDir + " (schema version " + snapshot.schemaVersion() + "): " + snapshot.state().size()
                    + " live state keys, " + snapshot.artifacts().size() + " artifacts, " + snapshot.completeRuns().size() + " finished and sealed runs, "
                    + snapshot.unsealedRuns().size() + " runs not sealed");
            try (PostgresImport target = PostgresImport.connect(cluster, options.dryRun())) {
                PostgresImport.Plan plan = target.plan(snapshot);
                plan.describe(options.overwriteState()).forEach(progress);
                List<String> refusals = new ArrayList<>();
                if (!snapshot.unsealedRuns().isEmpty()) {
                    List<String> runs = snapshot.unsealedRuns().stream().map(run -> "    " + run.describe()).toList();
                    if (options.skipUnsealedRuns()) {
                        progress.accept(runs.size() + " runs are not sealed and are NOT migrated (--skip-unsealed-runs):");
                        runs.forEach(progress);
                    } else {
                        refusals.add(runs.size() + " runs are not sealed (still running, or finished with rows not sealed into a run_results"
                                + " artifact) and cannot be migrated: let them finish and seal on the embedded daemon (FinishRun; deferred"
                                + " runs: seal them), or pass --skip-unsealed-runs to leave them behind:");
                        refusals.addAll(runs);
                    }
                }
                refusals.addAll(plan.refusals(options.overwriteState()));
                if (!refusals.isEmpty()) {
                    throw new MigrationException(FAILED, "refused; " + (options.dryRun() ? "a migration would be refused, " : "") + "nothing was written:\n  "
                            + String.join("\n  ", refusals), null);
                }
                long skipped = options.skipUnsealedRuns() ? snapshot.unsealedRuns().size() : 0;
                if (options.dryRun()) {
                    return plan.summary(true, options.overwriteState(), snapshot, skipped, new PostgresImport.Applied(0, 0, 0, 0, 0, 0, 0, 0, 0));
                }
                PostgresImport.Applied applied = target.apply(snapshot, plan, options.overwriteState(), progress);
                return plan.summary(false, options.overwriteState(), snapshot, skipped, applied);
            }
        } finally {
            lock.release();
        }
    }
}
