package io.quantbot.storage.daemon.cli;

import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import io.quantbot.storage.daemon.storage.OfflineMaintenance;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code lake verify}: offline checks of a data dir's lake (no daemon running on it). */
@Command(name = "lake", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
        description = "Check the Parquet lake of a data dir no daemon is running on (a running daemon: POST /admin/verify).",
        subcommands = {LakeCommand.VerifyCommand.class})
public final class LakeCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
            description = {"Re-hash every artifact file of the lake (SHA-256) and compare it with the catalog.",
                "Exit 0: every file matches; 1: some file is changed or missing (listed); 3: the database is in use"
                        + " (a daemon runs on this data dir: use POST /admin/verify)."},
            footer = {"", ExitCodes.HELP})
    static final class VerifyCommand implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @Spec
        CommandLine.Model.CommandSpec spec;

        private final Map<String, String> environment;

        VerifyCommand(Map<String, String> environment) {
            this.environment = environment;
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            StorageMaintenance.IntegrityReport report;
            try {
                report = OfflineMaintenance.verifyLake(options.resolve(environment));
            } catch (ConfigException e) {
                err.println("bad configuration:");
                e.problems().forEach(problem -> err.println("  " + problem));
                return ExitCodes.USAGE;
            } catch (OfflineMaintenance.UnavailableException e) {
                err.println("lake verify: " + e.getMessage());
                return ExitCodes.DATABASE_LOCKED;
            }
            for (StorageMaintenance.IntegrityProblem problem : report.mismatched()) {
                out.println("CHANGED  " + problem.artifactId() + "  " + problem.path() + "  " + problem.problem());
            }
            for (StorageMaintenance.IntegrityProblem problem : report.missing()) {
                out.println("MISSING  " + problem.artifactId() + "  " + problem.path() + "  " + problem.problem());
            }
            out.println(report.checked() + " artifact files checked, " + report.bytesHashed() + " bytes hashed in " + report.millis() + " ms: "
                    + (report.clean() ? "all match the catalog" : report.mismatched().size() + " changed, " + report.missing().size() + " missing"));
            out.flush();
            return report.clean() ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }
}
