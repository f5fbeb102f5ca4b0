package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.worker.v1.Cancel;
import io.quantbot.storage.worker.v1.Configure;
import io.quantbot.storage.worker.v1.DaemonFrame;
import io.quantbot.storage.worker.v1.Ping;
import io.quantbot.storage.worker.v1.Pong;
import io.quantbot.storage.worker.v1.Ready;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Response;
import io.quantbot.storage.worker.v1.WorkerFrame;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process seen through its pipes: frames out on stdin (one request at a time, plus Cancel
 * and Ping at any moment), a reader thread that matches responses to the request in flight, and a
 * drainer thread that logs every stderr line with the worker's pid (Python tracebacks land in the
 * daemon log). When the worker exits, closes its output or breaks the framing, the listener hears it
 * exactly once, with the exit code; the worker is never used again.
 */
final class WorkerProcess {
    private static final Logger log = LoggerFactory.getLogger(WorkerProcess.class);
    /** The worker's log format: "%(asctime)s %(levelname)s quantbot-worker[pid] message" (asctime has a space). */
    private static final Pattern PYTHON_LOG_LINE = Pattern.compile(
            "^\\S+ \\S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) quantbot-worker\\[\\d+\\] (.*)$");
    private static final Duration EXIT_WAIT = Duration.ofSeconds(2);
    private static final int MAX_REMEMBERED_LINE = 400;
    private static final long NONE = 0;

    /** What the pool hears; called on the worker's reader thread. */
    interface Listener {
        void onReady(WorkerProcess worker, Ready ready);

        void onResponse(WorkerProcess worker, Response response);

        void onPong(WorkerProcess worker, Pong pong);

        /** The worker read the request in flight and is about to run it. */
        void onAccepted(WorkerProcess worker, long requestId);

        /** The worker is gone (or broken and being killed); called once, last. */
        void onExit(WorkerProcess worker, WorkerExit exit);
    }

    enum ExitKind { EXITED, BROKE_FRAMING, STREAM_FAILED }

    /**
     * How a worker ended.
     *
     * @param exitCode the process exit code (128 + n when killed by signal n), empty if unknown
     * @param detail what was wrong with the stream (framing and stream failures)
     * @param lastLogLine the last line the worker wrote to stderr, for start failures
     */
    record WorkerExit(ExitKind kind, OptionalInt exitCode, String detail, String lastLogLine) {
        /** "python worker 123 exited with code 137 (killed by signal 9) during query". */
        String describe(long pid, String during) {
            String who = "python worker " + pid;
            return switch (kind) {
                case EXITED -> who + " exited with " + code() + " " + during;
                case BROKE_FRAMING -> who + " broke the framing protocol " + during + " (" + detail + "); it was killed ("
                        + code() + ")";
                case STREAM_FAILED -> who + ": reading its output failed " + during + " (" + detail + "); it was killed ("
                        + code() + ")";
            };
        }

        private String code() {
            if (exitCode.isEmpty()) {
                return "an unknown exit code";
            }
            int code = exitCode.getAsInt();
            if (code > 128 && code < 128 + 65) {
                return "code " + code + " (killed by signal " + (code - 128) + ")";
            }
            return "code " + code;
        }
    }

    private final WorkerIo io;
    private final Listener listener;
    private final long pid;
    private final OutputStream stdin;
    private final Object writeLock = new Object();
    private final AtomicLong inFlight = new AtomicLong(NONE);
    private final AtomicBoolean exitReported = new AtomicBoolean();
    private final Thread reader;
    private final Thread drainer;
    private volatile boolean ready;
    private volatile String lastLogLine = "";

    WorkerProcess(WorkerIo io, Listener listener) {
        this.io = requireNonNull(io, "io is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.pid = io.pid();
        this.stdin = io.stdin();
        this.reader = new Thread(this::readLoop, "python-worker-" + pid + "-reader");
        this.reader.setDaemon(true);
        this.drainer = new Thread(this::drainStderr, "python-worker-" + pid + "-stderr");
        this.drainer.setDaemon(true);
    }

    long pid() {
        return pid;
    }

    /** Starts the reader and stderr threads and sends Configure; the worker answers Ready. */
    void start(Configure configure) throws IOException {
        drainer.start();
        reader.start();
        write(DaemonFrame.newBuilder().setConfigure(configure).build());
    }

    /** Sends a request. Only one may be in flight: the next goes after the response to this one. */
    void send(Request request) throws IOException {
        if (!inFlight.compareAndSet(NONE, request.getId())) {
            throw new IllegalStateException("python worker " + pid + " is still running request " + inFlight.get());
        }
        write(DaemonFrame.newBuilder().setRequest(request).build());
    }

    void cancel(long requestId) throws IOException {
        write(DaemonFrame.newBuilder().setCancel(Cancel.newBuilder().setRequestId(requestId)).build());
    }

    void ping(long nonce) throws IOException {
        write(DaemonFrame.newBuilder().setPing(Ping.newBuilder().setNonce(nonce)).build());
    }

    /** End of input: the worker finishes what it runs and exits 0. */
    void closeInput() {
        synchronized (writeLock) {
            try {
                stdin.close();
            } catch (IOException e) {
                log.debug("Closing the input of python worker {}: {}", pid, e.getMessage());
            }
        }
    }

    /** SIGKILL; the reader then sees the end of the stream and reports the exit. */
    void kill() {
        io.kill();
    }

    boolean isAlive() {
        return io.isAlive();
    }

    WorkerIo.RunState runState() {
        return io.runState();
    }

    OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        return io.awaitExit(timeout);
    }

    /** Waits for the reader and stderr threads to end (after the process exited). */
    void awaitThreads(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : new Thread[] {reader, drainer}) {
            long left = deadline - System.nanoTime();
            if (left > 0 && thread.isAlive()) {
                thread.join(Math.max(1, left / 1_000_000));
            }
        }
    }

    private void write(DaemonFrame frame) throws IOException {
        synchronized (writeLock) {
            WorkerFraming.write(stdin, frame);
        }
    }

    private void readLoop() {
        InputStream stdout = new BufferedInputStream(io.stdout(), 1 << 16);
        ExitKind kind = ExitKind.EXITED;
        String detail = "";
        try {
            while (true) {
                Optional<WorkerFrame> frame = WorkerFraming.read(stdout, WorkerFrame.parser(), "WorkerFrame");
                if (frame.isEmpty()) {
                    break;
                }
                String violation = dispatch(frame.get());
                if (violation != null) {
                    kind = ExitKind.BROKE_FRAMING;
                    detail = violation;
                    break;
                }
            }
        } catch (FramingException e) {
            kind = ExitKind.BROKE_FRAMING;
            detail = e.getMessage();
        } catch (IOException e) {
            kind = ExitKind.STREAM_FAILED;
            detail = e.getMessage();
        } catch (RuntimeException e) {
            log.error("The reader of python worker {} failed", pid, e);
            kind = ExitKind.STREAM_FAILED;
            detail = e.toString();
        }
        reportExit(kind, detail);
    }

    private void reportExit(ExitKind kind, String detail) {
        if (kind != ExitKind.EXITED) {
            io.kill();
        }
        OptionalInt code = OptionalInt.empty();
        try {
            code = io.awaitExit(EXIT_WAIT);
            if (code.isEmpty()) {
                // Its output is closed but it lives on: of no use any more.
                io.kill();
                code = io.awaitExit(EXIT_WAIT);
            }
            // Let the drainer log the last lines (the reason of a start failure is usually there).
            drainer.join(EXIT_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (exitReported.compareAndSet(false, true)) {
            try {
                listener.onExit(this, new WorkerExit(kind, code, detail, lastLogLine));
            } catch (RuntimeException e) {
                log.error("Handling the exit of python worker {} failed", pid, e);
            }
        }
    }

    /** Hands a frame to the listener; returns a protocol violation, or null. */
    private String dispatch(WorkerFrame frame) {
        try {
            switch (frame.getFrameCase()) {
                case READY -> {
                    if (ready) {
                        return "it sent Ready twice";
                    }
                    ready = true;
                    listener.onReady(this, frame.getReady());
                }
                case RESPONSE -> {
                    Response response = frame.getResponse();
                    if (!ready) {
                        return "it answered request " + response.getId() + " before Ready";
                    }
                    long expected = inFlight.get();
                    if (expected == NONE || response.getId() != expected) {
                        return "it answered request " + response.getId() + " while "
                                + (expected == NONE ? "no request" : "request " + expected) + " was in flight";
                    }
                    inFlight.set(NONE);
                    listener.onResponse(this, response);
                }
                case PONG -> listener.onPong(this, frame.getPong());
                case ACCEPTED -> {
                    long id = frame.getAccepted().getRequestId();
                    long expected = inFlight.get();
                    if (expected == NONE || id != expected) {
                        return "it accepted request " + id + " while "
                                + (expected == NONE ? "no request" : "request " + expected) + " was in flight";
                    }
                    listener.onAccepted(this, id);
                }
                case FRAME_NOT_SET -> {
                    return "it sent a frame with no Ready, Response, Pong or Accepted";
                }
                default -> {
                    return "it sent an unknown frame";
                }
            }
        } catch (RuntimeException e) {
            log.error("Handling a frame of python worker {} failed", pid, e);
        }
        return null;
    }

    private void drainStderr() {
        String level = "";
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(io.stderr(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                Matcher matcher = PYTHON_LOG_LINE.matcher(line);
                String message = line;
                if (matcher.matches()) {
                    level = matcher.group(1);
                    message = matcher.group(2);
                }
                logLine(level, message);
                if (!line.isBlank()) {
                    lastLogLine = line.length() > MAX_REMEMBERED_LINE ? line.substring(0, MAX_REMEMBERED_LINE) + "..." : line;
                }
            }
        } catch (IOException e) {
            log.debug("Reading the stderr of python worker {} ended: {}", pid, e.getMessage());
        }
    }

    /** Continuation lines (tracebacks) keep the level of the line they belong to; lines before any log line are warnings. */
    private void logLine(String level, String message) {
        switch (level) {
            case "DEBUG" -> log.debug("python worker {}: {}", pid, message);
            case "INFO" -> log.info("python worker {}: {}", pid, message);
            case "ERROR", "CRITICAL" -> log.error("python worker {}: {}", pid, message);
            default -> log.warn("python worker {}: {}", pid, message);
        }
    }
}
