package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, item 13: a WAL that lost its tail after a crash (here: SIGKILL, then the last bytes cut off,
 * as a storage that lost or tore its last write would leave it) must not start silently without the
 * last acknowledged writes. The start is refused with exit code 4 and the lost range; the explicit
 * override starts and records the loss; a clean stop and start afterwards are normal again.
 */
class WalTailLossTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dataDir;

    @Test
    void aWalThatLostAcknowledgedCommitsRefusesToStartUntilTheLossIsAccepted() throws Exception {
        long lastVersion;
        try (DaemonProcess daemon = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = StatePortGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            lastVersion = 0;
            for (int i = 0; i < 40; i++) {
                lastVersion = stub.set(SetRequest.newBuilder().setNamespace("wal").setKey("k" + i)
                        .setValue(Value.newBuilder().setJson(Integer.toString(i))).build()).getVersion();
            }
            daemon.kill(); // after 40 acknowledged writes: no shutdown, no checkpoint
        }
        Path wal = dataDir.resolve("quantbot.duckdb.wal");
        long walBytes = Files.size(wal);
        assertThat(walBytes).as("the acknowledged writes are in the WAL").isPositive();
        try (FileChannel channel = FileChannel.open(wal, StandardOpenOption.WRITE)) {
            channel.truncate(walBytes - 64); // the storage lost the last bytes of the last acknowledged commit
        }

        try (DaemonProcess refused = DaemonProcess.start(dataDir)) {
            assertThat(refused.awaitExit(START)).isEqualTo(4);
            String log = String.join("\n", refused.log());
            assertThat(log).contains("acknowledged commits reached byte " + walBytes).contains((walBytes - 64) + " bytes long")
                    .contains("are lost").contains("Refusing to start").contains("duckdb.accept-data-loss=true");
            assertThat(log).containsPattern("commits #\\d+ to #\\d+");
        }
        try (DaemonProcess stillRefused = DaemonProcess.start(dataDir)) {
            assertThat(stillRefused.awaitExit(START)).as("refused again: nothing was changed by the refused start").isEqualTo(4);
        }

        try (DaemonProcess accepted = DaemonProcess.start(dataDir, "--set", "duckdb.accept-data-loss=true").awaitReady(START)) {
            assertThat(String.join("\n", accepted.log())).contains("Starting despite lost data");
            var stub = StatePortGrpc.newBlockingStub(accepted.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            assertThat(stub.get(GetRequest.newBuilder().setNamespace("wal").setKey("k0").build()).getEntry().getVersion()).isPositive();
            stub.set(SetRequest.newBuilder().setNamespace("wal").setKey("after").setValue(Value.newBuilder().setJson("1")).build());
            assertThat(accepted.terminate(Duration.ofSeconds(60))).isZero();
        }
        assertThat(Files.readString(dataDir.resolve("data-loss.log"))).contains("accepted at start").contains("are lost");

        try (DaemonProcess normal = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = StatePortGrpc.newBlockingStub(normal.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            assertThat(stub.get(GetRequest.newBuilder().setNamespace("wal").setKey("after").build()).getEntry().getValue().getJson()).isEqualTo("1");
            assertThat(normal.terminate(Duration.ofSeconds(60))).isZero();
        }
    }

    @Test
    void aSigkillWithAnIntactWalStartsNormally() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = StatePortGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++) {
                stub.set(SetRequest.newBuilder().setNamespace("wal").setKey("k" + i).setValue(Value.newBuilder().setJson("1")).build());
            }
            daemon.kill();
        }
        try (DaemonProcess restarted = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = StatePortGrpc.newBlockingStub(restarted.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            assertThat(stub.get(GetRequest.newBuilder().setNamespace("wal").setKey("k19").build()).getEntry().getValue().getJson()).isEqualTo("1");
            assertThat(restarted.terminate(Duration.ofSeconds(60))).isZero();
        }
    }
}
