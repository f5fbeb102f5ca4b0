package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backup that fails part-way leaves nothing behind, and the next backup to the same place works. */
class DatabaseBackupTest {
    @TempDir
    Path dir;

    @Test
    void aFailureMidwayRemovesEverythingTheBackupCreated() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir.resolve("data")).build()) {
            for (int i = 0; i < 3; i++) {
                LakeFixtures.publishCandles(daemon, "mid" + i, "Mid" + i + "11111111111111111111111111111111111", "solana", "1m",
                        LakeFixtures.minuteCandles(1_767_225_600_000L, 5));
            }
            GroupCommitWriter writer = daemon.getInstance(GroupCommitWriter.class);
            DatabaseConfig config = daemon.getInstance(DatabaseConfig.class);
            AtomicInteger placed = new AtomicInteger();
            // The disk fills up after the database and two lake files are in the backup.
            DatabaseBackup failing = new DatabaseBackup(writer, config, (source, copy) -> {
                if (placed.incrementAndGet() > 2) {
                    throw new IOException("No space left on device");
                }
                Files.copy(source, copy);
            });
            Path target = dir.resolve("fresh-parent/also-new/backup");
            assertThatThrownBy(() -> failing.backupTo(target)).hasMessageContaining("No space left on device");
            assertThat(placed.get()).isEqualTo(3);
            assertThat(target).doesNotExist();
            assertThat(dir.resolve("fresh-parent")).as("parents the backup created are removed too").doesNotExist();

            // A parent that existed before stays; only what the backup made goes.
            Files.createDirectories(dir.resolve("existing"));
            assertThatThrownBy(() -> failing.backupTo(dir.resolve("existing/backup"))).hasMessageContaining("No space left on device");
            assertThat(dir.resolve("existing")).isEmptyDirectory();

            StorageMaintenance.BackupResult ok = daemon.getInstance(DatabaseBackup.class).backupTo(target);
            assertThat(ok.lakeFiles()).isEqualTo(6);
            assertThat(target.resolve("quantbot.duckdb")).exists();
        }
    }
}
