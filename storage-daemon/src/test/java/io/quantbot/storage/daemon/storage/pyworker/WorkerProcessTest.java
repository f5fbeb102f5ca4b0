package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.worker.v1.Accepted;
import io.quantbot.storage.worker.v1.Configure;
import io.quantbot.storage.worker.v1.DaemonFrame;
import io.quantbot.storage.worker.v1.Pong;
import io.quantbot.storage.worker.v1.QueryOp;
import io.quantbot.storage.worker.v1.Ready;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Response;
import io.quantbot.storage.worker.v1.Result;
import io.quantbot.storage.worker.v1.SleepResult;
import io.quantbot.storage.worker.v1.WorkerFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WorkerProcess over in-memory pipes: the test plays the Python worker. */
class WorkerProcessTest {
    private final FakeWorkerIo io = new FakeWorkerIo();
    private final RecordingListener listener = new RecordingListener();
    private WorkerProcess process;

    @BeforeEach
    void start() throws Exception {
        process = new WorkerProcess(io, listener);
        process.start(Configure.newBuilder().setStagingDir("/data/staging").build());
        assertThat(nextDaemonFrame().getConfigure().getStagingDir()).isEqualTo("/data/staging");
    }

    @AfterEach
    void end() throws Exception {
        io.kill();
        process.awaitThreads(Duration.ofSeconds(5));
    }

    @Test
    void readyThenRequestsMatchedByIdOneAtATime() throws Exception {
        sendReady();
        assertThat(listener.readies.poll(5, TimeUnit.SECONDS).getPid()).isEqualTo(FakeWorkerIo.PID);

        process.send(request(7));
        assertThat(nextDaemonFrame().getRequest().getId()).isEqualTo(7);
        assertThatThrownBy(() -> process.send(request(8)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("still running request 7");
        sendResponse(7);
        assertThat(listener.responses.poll(5, TimeUnit.SECONDS).getId()).isEqualTo(7);

        process.send(request(8));
        assertThat(nextDaemonFrame().getRequest().getId()).isEqualTo(8);
        sendResponse(8);
        assertThat(listener.responses.poll(5, TimeUnit.SECONDS).getId()).isEqualTo(8);
        assertThat(listener.exits).isEmpty();
    }

    @Test
    void pingsAndCancelsGoOutPongsComeBack() throws Exception {
        sendReady();
        process.ping(99);
        assertThat(nextDaemonFrame().getPing().getNonce()).isEqualTo(99);
        process.cancel(12);
        assertThat(nextDaemonFrame().getCancel().getRequestId()).isEqualTo(12);
        WorkerFraming.write(io.stdout.out, WorkerFrame.newBuilder()
                .setPong(Pong.newBuilder().setNonce(99).setRssBytes(123_456).setRequestsServed(3)).build());
        Pong pong = listener.pongs.poll(5, TimeUnit.SECONDS);
        assertThat(pong.getNonce()).isEqualTo(99);
        assertThat(pong.getRssBytes()).isEqualTo(123_456);
    }

    @Test
    void exitIsReportedOnceWithItsCode() throws Exception {
        io.stderr.out.write("Traceback (most recent call last):\n  boom\nValueError: bad staging dir\n".getBytes(StandardCharsets.UTF_8));
        io.exit(3);
        WorkerProcess.WorkerExit exit = listener.exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit.kind()).isEqualTo(WorkerProcess.ExitKind.EXITED);
        assertThat(exit.exitCode()).hasValue(3);
        assertThat(exit.lastLogLine()).isEqualTo("ValueError: bad staging dir");
        assertThat(exit.describe(FakeWorkerIo.PID, "before it was ready"))
                .isEqualTo("python worker 4242 exited with code 3 before it was ready");
        assertThat(listener.exits.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void deathBySignalIsNamed() throws Exception {
        sendReady();
        process.send(request(1));
        io.exit(137);
        WorkerProcess.WorkerExit exit = listener.exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit.describe(FakeWorkerIo.PID, "during query"))
                .isEqualTo("python worker 4242 exited with code 137 (killed by signal 9) during query");
    }

    @Test
    void oversizedLengthBreaksFramingAndKillsTheWorker() throws Exception {
        sendReady();
        io.stdout.out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        WorkerProcess.WorkerExit exit = listener.exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit.kind()).isEqualTo(WorkerProcess.ExitKind.BROKE_FRAMING);
        assertThat(io.killed).isTrue();
        assertThat(exit.describe(FakeWorkerIo.PID, "during query")).isEqualTo(
                "python worker 4242 broke the framing protocol during query (frame length 4294967295 is larger than the limit of"
                        + " 268435456 bytes); it was killed (code 137 (killed by signal 9))");
    }

    @Test
    void garbageBreaksFraming() throws Exception {
        io.stdout.out.write(new byte[] {0, 0, 0, 2, (byte) 0xFF, (byte) 0xFF});
        WorkerProcess.WorkerExit exit = listener.exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit.kind()).isEqualTo(WorkerProcess.ExitKind.BROKE_FRAMING);
        assertThat(exit.detail()).startsWith("a frame of 2 bytes does not parse as a WorkerFrame");
    }

    @Test
    void anAnswerToAnotherRequestIsAProtocolViolation() throws Exception {
        sendReady();
        process.send(request(7));
        sendResponse(8);
        WorkerProcess.WorkerExit exit = listener.exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit.kind()).isEqualTo(WorkerProcess.ExitKind.BROKE_FRAMING);
        assertThat(exit.detail()).isEqualTo("it answered request 8 while request 7 was in flight");
        assertThat(listener.responses).isEmpty();
    }

    @Test
    void readyTwiceOrAnEmptyFrameIsAProtocolViolation() throws Exception {
        sendReady();
        sendReady();
        assertThat(listener.exits.poll(5, TimeUnit.SECONDS).detail()).isEqualTo("it sent Ready twice");
    }

    @Test
    void anEmptyFrameIsAProtocolViolation() throws Exception {
        WorkerFraming.write(io.stdout.out, WorkerFrame.getDefaultInstance());
        assertThat(listener.exits.poll(5, TimeUnit.SECONDS).detail()).isEqualTo("it sent a frame with no Ready, Response, Pong or Accepted");
    }

    @Test
    void anAcceptedRequestIsReportedAndAcceptingAnotherIsAProtocolViolation() throws Exception {
        sendReady();
        process.send(request(7));
        sendAccepted(7);
        assertThat(listener.accepted.poll(5, TimeUnit.SECONDS)).isEqualTo(7);
        sendAccepted(9);
        WorkerProcess.WorkerExit exit = listener.exits.poll(5, TimeUnit.SECONDS);
        assertThat(exit.kind()).isEqualTo(WorkerProcess.ExitKind.BROKE_FRAMING);
        assertThat(exit.detail()).isEqualTo("it accepted request 9 while request 7 was in flight");
    }

    @Test
    void theProcessStateComesFromProcStat() {
        assertThat(WorkerProcessLauncher.parseRunState("123 (python) S 1 123 123 0 -1")).isEqualTo(WorkerIo.RunState.RUNNING);
        assertThat(WorkerProcessLauncher.parseRunState("123 (python) R 1")).isEqualTo(WorkerIo.RunState.RUNNING);
        assertThat(WorkerProcessLauncher.parseRunState("123 (python) T 1")).isEqualTo(WorkerIo.RunState.STOPPED);
        assertThat(WorkerProcessLauncher.parseRunState("123 (python) t 1")).isEqualTo(WorkerIo.RunState.STOPPED);
        assertThat(WorkerProcessLauncher.parseRunState("123 (python) Z 1")).isEqualTo(WorkerIo.RunState.GONE);
        // A command name may hold spaces and parentheses: the state follows the last ')'.
        assertThat(WorkerProcessLauncher.parseRunState("123 (a) T (b) S 1")).isEqualTo(WorkerIo.RunState.RUNNING);
        assertThat(WorkerProcessLauncher.parseRunState("123 (a) S (b) T 1")).isEqualTo(WorkerIo.RunState.STOPPED);
    }

    @Test
    void closingInputIsTheSignalToExit() throws Exception {
        process.closeInput();
        assertThat(io.stdin.in.read()).isEqualTo(-1);
    }

    private void sendReady() throws Exception {
        WorkerFraming.write(io.stdout.out, WorkerFrame.newBuilder()
                .setReady(Ready.newBuilder().setPid((int) FakeWorkerIo.PID).setPythonVersion("3.11.7").setDuckdbVersion("1.5.6")).build());
    }

    private void sendAccepted(long id) throws Exception {
        WorkerFraming.write(io.stdout.out, WorkerFrame.newBuilder().setAccepted(Accepted.newBuilder().setRequestId(id)).build());
    }

    private void sendResponse(long id) throws Exception {
        WorkerFraming.write(io.stdout.out, WorkerFrame.newBuilder().setResponse(Response.newBuilder()
                .setId(id)
                .setResult(Result.newBuilder().setSleep(SleepResult.newBuilder().setSleptMs(1)))).build());
    }

    private static Request request(long id) {
        return Request.newBuilder().setId(id).setTimeoutMs(1000).setQuery(QueryOp.newBuilder().setSql("SELECT 1")).build();
    }

    private DaemonFrame nextDaemonFrame() throws Exception {
        return WorkerFraming.read(io.stdin.in, DaemonFrame.parser(), "DaemonFrame").orElseThrow();
    }

    /** Records what the worker process reports. */
    private static final class RecordingListener implements WorkerProcess.Listener {
        final BlockingQueue<Ready> readies = new LinkedBlockingQueue<>();
        final BlockingQueue<Response> responses = new LinkedBlockingQueue<>();
        final BlockingQueue<Pong> pongs = new LinkedBlockingQueue<>();
        final BlockingQueue<Long> accepted = new LinkedBlockingQueue<>();
        final BlockingQueue<WorkerProcess.WorkerExit> exits = new LinkedBlockingQueue<>();

        @Override
        public void onReady(WorkerProcess worker, Ready ready) {
            readies.add(ready);
        }

        @Override
        public void onResponse(WorkerProcess worker, Response response) {
            responses.add(response);
        }

        @Override
        public void onPong(WorkerProcess worker, Pong pong) {
            pongs.add(pong);
        }

        @Override
        public void onAccepted(WorkerProcess worker, long requestId) {
            accepted.add(requestId);
        }

        @Override
        public void onExit(WorkerProcess worker, WorkerProcess.WorkerExit exit) {
            exits.add(exit);
        }
    }
}
