package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.worker.v1.DaemonFrame;
import io.quantbot.storage.worker.v1.Ping;
import io.quantbot.storage.worker.v1.Pong;
import io.quantbot.storage.worker.v1.QueryOp;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.WorkerFrame;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WorkerFramingTest {
    @Test
    void framesAreBigEndianLengthThenMessage() throws Exception {
        DaemonFrame frame = DaemonFrame.newBuilder().setPing(Ping.newBuilder().setNonce(300)).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WorkerFraming.write(out, frame);
        byte[] bytes = out.toByteArray();
        byte[] payload = frame.toByteArray();
        assertThat(bytes).hasSize(4 + payload.length);
        assertThat(Arrays.copyOf(bytes, 4)).containsExactly(0, 0, 0, payload.length);
        assertThat(Arrays.copyOfRange(bytes, 4, bytes.length)).isEqualTo(payload);
    }

    @Test
    void roundTripOfSeveralFramesThenCleanEnd() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DaemonFrame request = DaemonFrame.newBuilder()
                .setRequest(Request.newBuilder().setId(7).setTimeoutMs(1000).setQuery(QueryOp.newBuilder().setSql("SELECT 1")))
                .build();
        DaemonFrame empty = DaemonFrame.newBuilder().setPing(Ping.getDefaultInstance()).build();
        WorkerFraming.write(out, request);
        WorkerFraming.write(out, empty);
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertThat(WorkerFraming.read(in, DaemonFrame.parser(), "DaemonFrame")).contains(request);
        assertThat(WorkerFraming.read(in, DaemonFrame.parser(), "DaemonFrame")).contains(empty);
        assertThat(WorkerFraming.read(in, DaemonFrame.parser(), "DaemonFrame")).isEmpty();
    }

    @Test
    void aLargeFrameArrivesWhole() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DaemonFrame big = DaemonFrame.newBuilder()
                .setRequest(Request.newBuilder().setId(1).setQuery(QueryOp.newBuilder().setSql("SELECT '" + "x".repeat(300_000) + "'")))
                .build();
        WorkerFraming.write(out, big);
        assertThat(WorkerFraming.read(new ByteArrayInputStream(out.toByteArray()), DaemonFrame.parser(), "DaemonFrame")).contains(big);
    }

    @Test
    void endInsideTheHeaderIsBrokenFraming() {
        assertThatThrownBy(() -> WorkerFraming.read(new ByteArrayInputStream(new byte[] {0, 0}), WorkerFrame.parser(), "WorkerFrame"))
                .isInstanceOf(FramingException.class)
                .hasMessage("the stream ended inside a frame header (2 of 4 bytes)");
    }

    @Test
    void endInsideThePayloadIsBrokenFraming() {
        byte[] bytes = {0, 0, 0, 10, 1, 2, 3};
        assertThatThrownBy(() -> WorkerFraming.read(new ByteArrayInputStream(bytes), WorkerFrame.parser(), "WorkerFrame"))
                .isInstanceOf(FramingException.class)
                .hasMessage("the stream ended inside a frame (3 of 10 bytes)");
    }

    @Test
    void oversizedLengthIsRefusedBeforeReadingIt() {
        byte[] bytes = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        assertThatThrownBy(() -> WorkerFraming.read(new ByteArrayInputStream(bytes), WorkerFrame.parser(), "WorkerFrame"))
                .isInstanceOf(FramingException.class)
                .hasMessage("frame length 4294967295 is larger than the limit of 268435456 bytes");
        byte[] justAbove = {0x10, 0, 0, 1};
        assertThatThrownBy(() -> WorkerFraming.read(new ByteArrayInputStream(justAbove), WorkerFrame.parser(), "WorkerFrame"))
                .hasMessageContaining("frame length 268435457 is larger than the limit");
    }

    @Test
    void unparseablePayloadIsBrokenFraming() {
        // Field 1 as a length-delimited value that runs past the end of the message.
        byte[] bytes = {0, 0, 0, 3, 0x0A, 0x7F, 0x01};
        assertThatThrownBy(() -> WorkerFraming.read(new ByteArrayInputStream(bytes), WorkerFrame.parser(), "WorkerFrame"))
                .isInstanceOf(FramingException.class)
                .hasMessageStartingWith("a frame of 3 bytes does not parse as a WorkerFrame");
    }

    @Test
    void readsAWorkerFrame() throws Exception {
        WorkerFrame pong = WorkerFrame.newBuilder().setPong(Pong.newBuilder().setNonce(5).setRssBytes(1 << 20)).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WorkerFraming.write(out, pong);
        assertThat(WorkerFraming.read(new ByteArrayInputStream(out.toByteArray()), WorkerFrame.parser(), "WorkerFrame")).contains(pong);
    }
}
