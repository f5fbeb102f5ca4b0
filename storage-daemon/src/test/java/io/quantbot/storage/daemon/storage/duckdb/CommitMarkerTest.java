package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommitMarkerTest {
    @TempDir
    Path dir;

    @Test
    void aShortWalIsALossOfTheCommitsBeyondItsEnd() throws Exception {
        Path marker = dir.resolve("db.commits");
        Path wal = Files.write(dir.resolve("db.wal"), new byte[250]);
        Path database = dir.resolve("db");
        Files.write(database, new byte[1]);
        Files.setLastModifiedTime(database, java.nio.file.attribute.FileTime.fromMillis(1_000));
        try (CommitMarker commits = CommitMarker.open(marker)) {
            commits.recordPosition(0, 2_000);
            commits.recordCommit(100, 2_001);
            commits.recordCommit(200, 2_002);
            commits.recordCommit(300, 2_003);
            commits.recordCommit(400, 2_004);
        }
        CommitMarker.Loss loss = CommitMarker.check(marker, wal, database).orElseThrow();
        assertThat(loss.firstLostSequence()).isEqualTo(3);
        assertThat(loss.lastLostSequence()).isEqualTo(4);
        assertThat(loss.rangeExact()).isTrue();
        assertThat(loss.walBytesExpected()).isEqualTo(400);
        assertThat(loss.walBytesFound()).isEqualTo(250);

        Files.write(wal, new byte[400]);
        assertThat(CommitMarker.check(marker, wal, database)).as("nothing lost").isEmpty();
        Files.delete(wal);
        assertThat(CommitMarker.check(marker, wal, database)).as("a missing WAL lost everything since the checkpoint").isPresent();
        Files.setLastModifiedTime(database, java.nio.file.attribute.FileTime.fromMillis(3_000));
        assertThat(CommitMarker.check(marker, wal, database)).as("a checkpoint after the last commit explains an empty WAL").isEmpty();
    }

    @Test
    void aTornMarkerWriteFallsBackToThePreviousSlot() throws Exception {
        Path marker = dir.resolve("db.commits");
        try (CommitMarker commits = CommitMarker.open(marker)) {
            commits.recordCommit(100, 1);
            commits.recordCommit(200, 2);
        }
        assertThat(CommitMarker.read(marker).orElseThrow().sequence()).isEqualTo(2);
        // The second write went to slot 0 (writes alternate); tear it.
        long torn = CommitMarker.read(marker).orElseThrow().writes() % 2 * CommitMarker.SLOT_BYTES;
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), torn + 30);
        }
        CommitMarker.State state = CommitMarker.read(marker).orElseThrow();
        assertThat(state.sequence()).isEqualTo(1);
        assertThat(state.recent()).extracting(CommitMarker.Commit::walEnd).containsExactly(100L);
        try (CommitMarker reopened = CommitMarker.open(marker)) {
            reopened.recordCommit(150, 3);
            assertThat(reopened.sequence()).isEqualTo(2);
        }
        assertThat(CommitMarker.read(marker).orElseThrow().recent()).extracting(CommitMarker.Commit::walEnd).containsExactly(100L, 150L);
    }
}
