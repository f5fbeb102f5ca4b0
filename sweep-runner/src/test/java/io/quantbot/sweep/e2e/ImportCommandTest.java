package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ListArtifactsRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sweep-runner import DIR}: a snapshot folder anywhere the runner can read (here a temp folder that
 * is in none of the daemon's import roots) is uploaded through the SDK, imported, and a sweep runs on it.
 */
@Tag("python")
class ImportCommandTest {
    private static final Path EXAMPLE = Path.of("examples", "tiny-snapshot");

    @TempDir
    Path home;

    @Test
    void importsAFolderOutsideTheImportRootsAndASweepRunsOnIt() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        Path folder = home.resolve("my data/tiny");
        Sweeps.copyTree(EXAMPLE, folder);
        Files.writeString(folder.resolve(".notes.txt"), "hidden files are left out\n");
        long spawnsBefore = daemon.spawnCount();

        Sweeps.Result imported = Sweeps.run("import", folder.toString(), "--name", "tiny-cli", "--tag", "owner=test",
                "--target", daemon.target(), "--no-progress");
        assertThat(imported.code()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("imported snapshot 'tiny-cli'", "3 files", "8 candle rows", "2 calls", "3 artifacts (0 already there)",
                "calls: {snapshot: tiny-cli}");
        // Progress goes to stderr, never to stdout.
        assertThat(imported.err()).contains("uploading 3 files");
        List<Artifact> artifacts = daemon.client().artifacts().listArtifacts(ListArtifactsRequest.newBuilder()
                .putTags("snapshot", "tiny-cli").setPageSize(100).build()).toList();
        assertThat(artifacts).extracting(Artifact::getType).containsExactlyInAnyOrder("ohlcv_slice", "ohlcv_slice", "alerts");
        assertThat(artifacts).allSatisfy(artifact -> assertThat(artifact.getTagsMap()).containsEntry("owner", "test"));
        assertThat(daemon.dataDir().resolve("staging/uploads").toFile().list()).isNullOrEmpty();

        Sweeps.Result again = Sweeps.run("import", folder.toString(), "--name", "tiny-cli", "--target", daemon.target(), "--no-progress");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("3 artifacts (3 already there)");

        Path spec = Sweeps.writeSpec(home.resolve("specs"), "import-cli", """
                sweep_id: import-cli
                calls: {snapshot: tiny-cli}
                intervals: [1m]
                entry_lags: [0s, 1m]
                time_frame: 6h
                overlay_sets:
                  - {name: tp_sl, overlays: [{type: take_profit, pct: 10}, {type: stop_loss, pct: 5}]}
                  - {name: hold, overlays: []}
                """);
        Sweeps.Result run = Sweeps.run("run", spec.toString(), "--target", daemon.target(), "--no-progress", "--no-report");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("tp_sl", "hold");
        assertThat(daemon.spawnCount()).as("import and run spawn no Python").isEqualTo(spawnsBefore);
    }

    @Test
    void badDataFailsWithTheFileAndRegistersNothing() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        Path folder = home.resolve("broken");
        Files.createDirectories(folder.resolve("calls"));
        Files.writeString(folder.resolve("calls/calls.csv"), "call_id,caller,token,chain,ts,price\nc1,alice,T,nochain,1736121630000,1.0\n");
        Sweeps.Result result = Sweeps.run("import", folder.toString(), "--target", daemon.target(), "--no-progress");
        assertThat(result.code()).as(result.err()).isEqualTo(1);
        assertThat(result.err()).contains("calls/calls.csv");
        assertThat(daemon.client().artifacts().listArtifacts(ListArtifactsRequest.newBuilder()
                .putTags("snapshot", "broken").build()).toList()).isEmpty();
        assertThat(daemon.dataDir().resolve("staging/uploads").toFile().list()).isNullOrEmpty();
    }

    @Test
    void whatIsNotASnapshotFolderIsRefusedBeforeAnythingIsSent() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        Sweeps.Result missing = Sweeps.run("import", home.resolve("nope").toString(), "--target", daemon.target());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("is not a folder");

        Path withFifo = home.resolve("fifo");
        Files.createDirectories(withFifo);
        Files.writeString(withFifo.resolve("calls.csv"), "call_id,caller,token,chain,ts,price\n");
        Process mkfifo = new ProcessBuilder("mkfifo", withFifo.resolve("pipe.csv").toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();
        Sweeps.Result fifo = Sweeps.run("import", withFifo.toString(), "--target", daemon.target());
        assertThat(fifo.code()).isEqualTo(2);
        assertThat(fifo.err()).contains("pipe.csv", "not a regular file");

        Path empty = Files.createDirectories(home.resolve("empty"));
        Files.writeString(empty.resolve(".only-hidden"), "x");
        Sweeps.Result none = Sweeps.run("import", empty.toString(), "--target", daemon.target());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("holds no files");

        Sweeps.Result badName = Sweeps.run("import", withFifo.toString(), "--name", "../x", "--target", daemon.target());
        assertThat(badName.code()).isEqualTo(2);
    }
}
