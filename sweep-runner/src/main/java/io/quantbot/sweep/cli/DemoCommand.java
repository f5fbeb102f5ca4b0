package io.quantbot.sweep.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.storage.client.InvalidArgumentException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotManifest;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.snapshot.SnapshotSummary;
import io.quantbot.sweep.spec.InvalidSweepSpecException;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"The whole loop against the daemon at --target (bash sweep-runner/bin/demo starts one and stops it after; or start one: java -jar "
                + "storage-daemon/target/storage-daemon.jar): generates the synthetic snapshot (200 tokens × 3 days of 1m "
                + "candles, 2,000 calls from 20 callers) into <the daemon's data dir>/imports/demo-<seed> unless it is "
                + "there; imports it (ImportSnapshot; a re-import dedups); runs examples/demo-sweep.yaml (96 scenarios, "
                + "192,000 backtests) as `run` does; prints the leaderboards, the report path and the spawn line.",
            "Each demo is a new sweep (id demo-<UTC time>); --sweep-id resumes an interrupted one."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.OK_LINE, ExitCodes.RUN_FAILED_LINE, ExitCodes.BAD_USAGE_LINE,
            ExitCodes.DAEMON_UNREACHABLE_LINE, ExitCodes.INTERRUPTED_LINE})
final class DemoCommand implements Callable<Integer> {
    static final String DEMO_SWEEP_RESOURCE = "/io/quantbot/sweep/demo/demo-sweep.yaml";
    static final String SNAPSHOT_NAME = "demo";
    /** StatePort namespace where the runner records which snapshot files it imported (key: the snapshot name). */
    static final String IMPORTS_NAMESPACE = "quantbot.imports";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter SWEEP_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    @Spec
    CommandSpec spec;

    @Mixin
    SweepOptions options;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the synthetic snapshot (default: ${DEFAULT-VALUE}).")
    long seed = SnapshotOptions.DEFAULT_SEED;

    private final SweepListener listener;

    DemoCommand() {
        this(SweepListener.NONE);
    }

    DemoCommand(SweepListener listener) {
        this.listener = requireNonNull(listener, "listener is null");
    }

    @Override
    public Integer call() throws IOException, InterruptedException, InvalidSweepSpecException, UsageException,
            DaemonUnreachableException {
        long start = System.nanoTime();
        PrintWriter err = spec.commandLine().getErr();
        SweepExecution.Settings settings = options.settings();
        if (options.sweepId == null) {
            options.sweepId = "demo-" + ZonedDateTime.now(ZoneOffset.UTC).format(SWEEP_ID_TIME);
        }
        SweepSpec sweep = options.apply(demoSweep());
        try (QuantbotStorageClient client = options.client();
                InterruptGuard guard = InterruptGuard.install()) {
            ServerInfo info = SweepExecution.serverInfo(client, options.daemon.target);
            err.println("using the daemon at " + options.daemon.target + " (data " + info.getDataDir() + ")");
            Path snapshot = snapshotFolder(info);
            generateIfMissing(snapshot, err);
            importSnapshot(client, snapshot, err);
            String resume = ResumeCommand.of(spec.commandLine().getParseResult().originalArgs(), sweep.sweepId());
            int code = new SweepExecution(settings, spec.commandLine().getOut(), err, listener)
                    .execute(client, options.daemon.target, sweep, resume, new SweepExecution.SpecSource("demo-sweep.yaml", demoSweepText()));
            err.println(String.format(Locale.ROOT, "demo finished in %.1f s", (System.nanoTime() - start) / 1e9));
            err.flush();
            return code;
        }
    }

    static SweepSpec demoSweep() throws IOException, InvalidSweepSpecException {
        return new SweepSpecLoader().parse(demoSweepText(), "demo-sweep.yaml");
    }

    static String demoSweepText() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(DEMO_SWEEP_RESOURCE)) {
            if (in == null) {
                throw new IOException("the jar lacks " + DEMO_SWEEP_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Path snapshotFolder(ServerInfo info) {
        Path dataDir = Path.of(info.getDataDir()).toAbsolutePath().normalize();
        return dataDir.resolve("imports").resolve("demo-" + seed);
    }

    private void generateIfMissing(Path folder, PrintWriter err) throws IOException, InterruptedException {
        if (Files.isRegularFile(folder.resolve("calls").resolve("calls.csv")) && Files.isDirectory(folder.resolve("candles"))) {
            err.println("snapshot " + folder + " is there already");
            return;
        }
        if (Files.exists(folder.resolve("candles")) || Files.exists(folder.resolve("calls"))) {
            throw new IOException(folder + " holds a partial snapshot (candles/ or calls/ without the other); remove it");
        }
        SnapshotOptions defaults = SnapshotOptions.defaults();
        SnapshotOptions snapshotOptions = new SnapshotOptions(defaults.tokens(), defaults.days(), defaults.calls(),
                defaults.callers(), seed, defaults.startMillis(), defaults.intervals());
        SnapshotSummary summary = new SnapshotGenerator(snapshotOptions).generate(folder);
        err.println(String.format(Locale.ROOT, "generated %s: %d tokens, %,d one-minute candles, %,d calls from %d callers "
                + "in %.1f s", folder, summary.tokens(), summary.oneMinuteCandles(), summary.calls(), summary.callers().size(),
                summary.elapsed().toNanos() / 1e9));
        err.flush();
    }

    /**
     * Imports the snapshot unless this daemon already imported exactly these files: the folder's manifest hash
     * (paths, sizes and bytes; see {@link SnapshotManifest}) is recorded in StatePort after an import, with one of
     * the artifacts it made; a later run whose folder hashes the same, and whose recorded artifact is still in the
     * catalog, skips the import (a fraction of a second instead of deduplicating every artifact again).
     */
    private void importSnapshot(QuantbotStorageClient client, Path folder, PrintWriter err) throws UsageException, IOException {
        long start = System.nanoTime();
        SnapshotManifest.Digest manifest = SnapshotManifest.of(folder);
        Optional<String> already = alreadyImported(client, manifest);
        if (already.isPresent()) {
            err.println(String.format(Locale.ROOT, "snapshot %s already imported (manifest sha256:%s, %d files, same as the import that"
                    + " made %s): import skipped in %.2f s", SNAPSHOT_NAME, manifest.sha256().substring(0, 12), manifest.files(),
                    already.get(), (System.nanoTime() - start) / 1e9));
            err.flush();
            return;
        }
        ImportSnapshotResponse imported;
        try {
            imported = client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder()
                    .setSourceDir(folder.toString())
                    .setSnapshotName(SNAPSHOT_NAME)
                    .build());
        }
        catch (InvalidArgumentException e) {
            throw new UsageException("ImportSnapshot of " + folder + " failed: " + e.getMessage()
                    + " (the daemon reads imports from its import roots, by default <data dir>/imports)");
        }
        catch (UnavailableException e) {
            throw e;
        }
        catch (StorageException e) {
            throw new IllegalStateException("ImportSnapshot of " + folder + " failed: " + e.getMessage(), e);
        }
        err.println(String.format(Locale.ROOT, "imported snapshot %s: %d artifacts (%d already there), %,d candle rows, "
                        + "%,d calls in %.1f s", SNAPSHOT_NAME, imported.getArtifactsCount(), imported.getDeduped(),
                imported.getCandleRows(), imported.getCallRows(), (System.nanoTime() - start) / 1e9));
        err.flush();
        if (imported.getArtifactsCount() > 0) {
            ObjectNode record = JSON.createObjectNode()
                    .put("manifest_sha256", manifest.sha256())
                    .put("files", manifest.files())
                    .put("bytes", manifest.bytes())
                    .put("artifacts", imported.getArtifactsCount())
                    .put("artifact_id", imported.getArtifacts(imported.getArtifactsCount() - 1).getId());
            client.state().setJson(IMPORTS_NAMESPACE, SNAPSHOT_NAME, record.toString());
        }
    }

    /** The recorded artifact of an earlier import of exactly these files, if it is still in the catalog. */
    private static Optional<String> alreadyImported(QuantbotStorageClient client, SnapshotManifest.Digest manifest) {
        Optional<StateEntry> entry = client.state().get(IMPORTS_NAMESPACE, SNAPSHOT_NAME);
        if (entry.isEmpty() || !entry.get().getValue().hasJson()) {
            return Optional.empty();
        }
        JsonNode record;
        try {
            record = JSON.readTree(entry.get().getValue().getJson());
        }
        catch (IOException e) {
            return Optional.empty();
        }
        String artifactId = record.path("artifact_id").asText("");
        if (!manifest.sha256().equals(record.path("manifest_sha256").asText()) || artifactId.isEmpty()) {
            return Optional.empty();
        }
        return client.artifacts().getArtifact(artifactId).map(artifact -> artifactId);
    }
}
