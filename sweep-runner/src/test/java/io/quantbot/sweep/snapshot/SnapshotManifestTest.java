package io.quantbot.sweep.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotManifestTest {
    @TempDir
    Path dir;

    private Path snapshot(String name) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.createDirectories(folder.resolve("candles/1m"));
        Files.createDirectories(folder.resolve("calls"));
        Files.writeString(folder.resolve("candles/1m/AAA.csv"), "ts,open,high,low,close,volume\n1,1,2,0.5,1.5,10\n");
        Files.writeString(folder.resolve("calls/calls.csv"), "ts,caller,token\n1,alice,AAA\n");
        return folder;
    }

    @Test
    void sameFilesSameHashAndAnyChangeChangesIt() throws Exception {
        Path a = snapshot("a");
        SnapshotManifest.Digest digest = SnapshotManifest.of(a);
        assertThat(digest.files()).isEqualTo(2);
        assertThat(SnapshotManifest.of(snapshot("b"))).isEqualTo(digest);

        // Hidden files are not part of a snapshot (ImportSnapshot skips them).
        Files.writeString(a.resolve(".DS_Store"), "x");
        assertThat(SnapshotManifest.of(a)).isEqualTo(digest);

        Path changedByte = snapshot("c");
        Files.writeString(changedByte.resolve("calls/calls.csv"), "ts,caller,token\n1,alicE,AAA\n");
        assertThat(SnapshotManifest.of(changedByte).sha256()).isNotEqualTo(digest.sha256());

        Path renamed = snapshot("d");
        Files.move(renamed.resolve("candles/1m/AAA.csv"), renamed.resolve("candles/1m/AAB.csv"));
        assertThat(SnapshotManifest.of(renamed).sha256()).isNotEqualTo(digest.sha256());

        Path added = snapshot("e");
        Files.writeString(added.resolve("candles/1m/BBB.csv"), "");
        assertThat(SnapshotManifest.of(added).sha256()).isNotEqualTo(digest.sha256());

        // Moving bytes from one file to the next is a different snapshot too (paths and sizes are hashed with the bytes).
        Path shifted = snapshot("f");
        Files.writeString(shifted.resolve("calls/calls.csv"), "ts,caller,token\n1,alice,AA");
        Files.writeString(shifted.resolve("candles/1m/AAA.csv"), "Ats,open,high,low,close,volume\n1,1,2,0.5,1.5,10\n");
        assertThat(SnapshotManifest.of(shifted).sha256()).isNotEqualTo(digest.sha256());
    }
}
