package io.quantbot.storage.daemon.cli;

import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.storage.ClusterMigration;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code migrate}: copies a stopped embedded daemon's data dir into a cluster (ClusterMigration does the work). */
@Command(name = "migrate", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
        description = {"Copy a stopped embedded daemon's data dir into a cluster: every live state key (with its version and expiry),"
                + " every artifact (all statuses, tags, lineage, supersede history) with its file, SHA-256 checked, into the warehouse.",
            "The target is the cluster the cluster.* keys name (the config the cluster's daemons use: --config or --set);"
                    + " storage.mode is cluster here whatever the file says.",
            "Safe to run again: only what the cluster lacks is copied. Runs that are not sealed are listed and refused"
                    + " (--skip-unsealed-runs leaves them behind).",
            "Exit 0: copied (or nothing to copy); 1: refused (conflicts, unsealed runs) or failed (PostgreSQL unreachable);"
                    + " 2: bad usage, configuration, source schema or warehouse; 3: a daemon runs on the data dir;"
                    + " 4: an artifact file is missing or does not match its hash."},
        footer = {"", ExitCodes.HELP})
public final class MigrateCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--from-data-dir", required = true, paramLabel = "DIR",
            description = "The embedded daemon's data dir to copy (the daemon must be stopped).")
    Path fromDataDir;

    @Option(names = "--dry-run", description = "Print what would be copied and any conflict; write nothing.")
    boolean dryRun;

    @Option(names = "--skip-unsealed-runs", description = "Migrate although some runs are not sealed; those runs are left behind.")
    boolean skipUnsealedRuns;

    @Option(names = "--overwrite-state", description = "Replace state keys the cluster holds with another value or version by the data dir's.")
    boolean overwriteState;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private final Map<String, String> environment;

    MigrateCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (options.dataDir != null && !Path.of(options.dataDir).toAbsolutePath().normalize().equals(fromDataDir.toAbsolutePath().normalize())) {
            err.println("migrate: give the data dir once, with --from-data-dir (--data-dir names another one)");
            return ExitCodes.USAGE;
        }
        options.dataDir = fromDataDir.toString();
        options.settings.put("storage.mode", "cluster");
        ClusterMigration.Summary summary;
        try {
            ResolvedConfig config = options.resolve(environment);
            // Only the areas migrate uses are checked (the data dir's and the cluster's keys, when they are read): a
            // setting of the server or the worker pool that would stop `serve` does not stop a migration.
            summary = ClusterMigration.migrate(config, new ClusterMigration.Options(dryRun, skipUnsealedRuns, overwriteState),
                    line -> {
                        out.println(line);
                        out.flush();
                    }, Clock.systemUTC());
        } catch (ConfigException e) {
            err.println("migrate: bad configuration (" + e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems")
                    + "; nothing was copied):");
            e.problems().forEach(problem -> err.println("  " + problem));
            err.flush();
            return ExitCodes.USAGE;
        } catch (ClusterMigration.MigrationException e) {
            err.println("migrate: " + e.getMessage());
            err.flush();
            return e.exitCode();
        }
        summary.lines().forEach(out::println);
        out.flush();
        return ExitCodes.OK;
    }
}
