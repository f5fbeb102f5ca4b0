package io.quantbot.sweep.cli;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.ValidationIssue;
import io.quantbot.sweep.progress.ProgressReporter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sweep-runner import DIR}: uploads a snapshot folder from this machine to the daemon (UploadSnapshot
 * through the client SDK), so the folder may live anywhere the runner can read, not only in the daemon's
 * import roots.
 */
@Command(name = "import",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Uploads a snapshot folder (candle and call files, CSV or Parquet; see docs/snapshots.md) to the daemon,"
                + " which checks every file and registers one ohlcv_slice artifact per series and one alerts artifact, tagged"
                + " snapshot=NAME. Importing the same files again registers nothing new.",
            "A spec then names the snapshot: 'calls: {snapshot: NAME}'."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, "1:the import failed (bad data: the errors name file, row and column)",
            ExitCodes.BAD_USAGE_LINE, ExitCodes.DAEMON_UNREACHABLE_LINE, ExitCodes.INTERRUPTED_LINE})
final class ImportCommand implements Callable<Integer> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    @Spec
    CommandSpec spec;

    @Mixin
    DaemonOptions daemon;

    @Parameters(index = "0", paramLabel = "DIR", description = "The snapshot folder.")
    Path folder;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The snapshot's name in logical keys and tags (default: the folder's name).")
    String name;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "An extra tag on every artifact (repeatable).")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--dry-run", description = "Check the files only; register nothing.")
    boolean dryRun;

    @Option(names = "--no-progress", description = "Plain progress lines instead of a redrawn bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        Path source = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(source)) {
            throw new UsageException(folder + " is not a folder");
        }
        String snapshot = name != null ? name : String.valueOf(source.getFileName());
        if (!NAME.matcher(snapshot).matches()) {
            throw new UsageException("snapshot name '" + snapshot + "' must be 1-100 letters, digits, '.', '_' or '-', starting with a"
                    + " letter or digit; pass --name");
        }
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        long started = System.nanoTime();
        ImportSnapshotResponse response;
        try (QuantbotStorageClient client = daemon.client()) {
            ProgressReporter[] progress = {null};
            ProgressReporter.Mode mode = ProgressReporter.detectMode(noProgress);
            try {
                response = client.artifacts().uploadSnapshot(source, snapshot, tags, dryRun, (filesSent, files, bytesSent, bytes) -> {
                    if (progress[0] == null) {
                        progress[0] = new ProgressReporter("uploading " + files + " files, bytes", bytes, mode, err);
                    }
                    progress[0].advance(bytesSent - progress[0].done());
                });
            }
            catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            finally {
                if (progress[0] != null) {
                    progress[0].finish();
                }
            }
        }
        catch (UnavailableException e) {
            throw SweepExecution.unreachable(daemon.target, e);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        for (ValidationIssue warning : response.getWarningsList()) {
            err.println("warning: " + warning.getFile() + (warning.getRow() > 0 ? " row " + warning.getRow() : "")
                    + (warning.getColumn().isEmpty() ? "" : " [" + warning.getColumn() + "]") + ": " + warning.getMessage());
        }
        out.println(String.format(Locale.ROOT, "%s snapshot '%s' from %s: %,d files, %,d candle rows, %,d calls; %d artifacts (%d already"
                        + " there) in %.1f s", dryRun ? "checked" : "imported", snapshot, source, response.getFiles(), response.getCandleRows(),
                response.getCallRows(), response.getArtifactsCount(), response.getDeduped(), seconds));
        for (Artifact artifact : response.getArtifactsList()) {
            out.println("  " + artifact.getId() + "  " + artifact.getType() + "  " + artifact.getLogicalKey()
                    + String.format(Locale.ROOT, "  %,d rows", artifact.getRowCount()));
        }
        if (!dryRun) {
            out.println("use it in a spec with:  calls: {snapshot: " + snapshot + "}");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
