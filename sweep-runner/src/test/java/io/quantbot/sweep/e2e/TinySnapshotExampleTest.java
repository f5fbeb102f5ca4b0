package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The example of docs/snapshots.md imports as the document says: one ohlcv_slice per series, one alerts artifact. */
@Tag("python")
class TinySnapshotExampleTest {
    private static final Path EXAMPLE = Path.of("examples", "tiny-snapshot");

    @Test
    void theDocumentedExampleImports() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        Path target = daemon.dataDir().resolve("imports").resolve("tiny-snapshot-example");
        Sweeps.copyTree(EXAMPLE, target);
        ImportSnapshotResponse imported = daemon.client().artifacts().importSnapshot(ImportSnapshotRequest.newBuilder()
                .setSourceDir(target.toString()).setSnapshotName("tiny-example").build());
        assertThat(imported.getWarningsList()).isEmpty();
        assertThat(imported.getFiles()).isEqualTo(3);
        assertThat(imported.getCandleRows()).isEqualTo(8);
        assertThat(imported.getCallRows()).isEqualTo(2);
        assertThat(imported.getArtifactsList()).extracting(Artifact::getType)
                .containsExactlyInAnyOrder("ohlcv_slice", "ohlcv_slice", "alerts");
    }
}
