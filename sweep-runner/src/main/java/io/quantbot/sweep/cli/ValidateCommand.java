package io.quantbot.sweep.cli;

import io.quantbot.sweep.spec.InvalidSweepSpecException;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "validate",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Checks a sweep file and prints its sweep id and scenario count; "
                + "on a bad file prints every problem and exits 2.",
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE,
            ExitCodes.INTERRUPTED_LINE})
final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "The sweep file.")
    Path file;

    @Option(names = "--list", description = "Also print every scenario id, one per line.")
    boolean list;

    @Override
    public Integer call() throws IOException, InvalidSweepSpecException, UsageException {
        SweepSpec sweep = load(file);
        PrintWriter out = spec.commandLine().getOut();
        out.println("sweep_id: " + sweep.sweepId());
        out.println("scenarios: " + sweep.scenarioCount() + " (" + sweep.intervals().size() + " intervals × "
                + sweep.entryLagsMillis().size() + " entry lags × " + sweep.overlaySets().size() + " overlay sets)");
        if (list) {
            for (Scenario scenario : sweep.scenarios()) {
                out.println(scenario.id());
            }
        }
        return ExitCodes.OK;
    }

    static SweepSpec load(Path file) throws IOException, InvalidSweepSpecException, UsageException {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("sweep file " + file + " does not exist");
        }
        return new SweepSpecLoader().load(file);
    }
}
