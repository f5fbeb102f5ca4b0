package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one class of the daemon that starts processes (an ArchUnit rule and the source scan enforce it):
 * {@code <python> -m quantbot_worker} with PYTHONPATH at the extracted worker code, working directory =
 * the staging folder. Every spawn is counted: quantbot_python_worker_spawns_total{reason} and
 * {@link #spawnCount()}, which GetServerInfo reports, so a sweep can prove it spawned nothing.
 */
@Singleton
final class WorkerProcessLauncher {
    private final PythonWorkerConfig config;
    private final DatabaseConfig database;
    private final Map<SpawnReason, Counter> spawns = new EnumMap<>(SpawnReason.class);
    private final AtomicLong spawnCount = new AtomicLong();
    private volatile Path codeDir;

    @Inject
    WorkerProcessLauncher(PythonWorkerConfig config, DatabaseConfig database, MeterRegistry registry) {
        this.config = requireNonNull(config, "config is null");
        this.database = requireNonNull(database, "database is null");
        requireNonNull(registry, "registry is null");
        for (SpawnReason reason : SpawnReason.values()) {
            spawns.put(reason, Counter.builder("quantbot.python_worker.spawns")
                    .description("Python worker processes started, by reason (start = with the pool, replace = after a failure, recycle = after max-requests or max-rss)")
                    .tag("reason", reason.tag())
                    .register(registry));
        }
    }

    /** Extracts the worker code into {@code <data-dir>/worker-code/<hash>/} (once; reused when present). */
    void prepare() throws IOException {
        codeDir = WorkerCode.extract(codeRoot());
    }

    Path codeDir() {
        Path dir = codeDir;
        if (dir == null) {
            throw new IllegalStateException("the worker code is not extracted yet (prepare() first)");
        }
        return dir;
    }

    /** Starts one worker process; it waits for its Configure frame. */
    WorkerIo launch(SpawnReason reason) throws IOException {
        Path staging = database.stagingDir();
        Files.createDirectories(staging);
        ProcessBuilder builder = new ProcessBuilder(List.of(config.python().toString(), "-m", "quantbot_worker"))
                .directory(staging.toFile());
        Map<String, String> environment = builder.environment();
        environment.put("PYTHONPATH", codeDir().toString());
        environment.put("PYTHONUNBUFFERED", "1");
        environment.put("PYTHONDONTWRITEBYTECODE", "1");
        // The working directory (staging) must not end up on sys.path: files there are data, never code.
        environment.put("PYTHONSAFEPATH", "1");
        Process process = builder.start();
        spawnCount.incrementAndGet();
        spawns.get(reason).increment();
        return new ProcessIo(process);
    }

    long spawnCount() {
        return spawnCount.get();
    }

    private Path codeRoot() {
        return database.dataDir().resolve("worker-code");
    }

    /** The state in a /proc/<pid>/stat line: "pid (comm) S ...", where comm may hold spaces and parentheses. */
    static WorkerIo.RunState parseRunState(String stat) {
        int end = stat.lastIndexOf(')');
        if (end < 0 || end + 2 >= stat.length()) {
            return WorkerIo.RunState.RUNNING;
        }
        return switch (stat.charAt(end + 2)) {
            case 'T', 't' -> WorkerIo.RunState.STOPPED;
            case 'Z', 'X', 'x' -> WorkerIo.RunState.GONE;
            default -> WorkerIo.RunState.RUNNING;
        };
    }

    /** A started worker process. */
    private static final class ProcessIo implements WorkerIo {
        private final Process process;

        ProcessIo(Process process) {
            this.process = process;
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public OutputStream stdin() {
            return process.getOutputStream();
        }

        @Override
        public InputStream stdout() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        /** From /proc/<pid>/stat (the state letter after the command name); where there is no /proc, alive means running. */
        @Override
        public RunState runState() {
            if (!process.isAlive()) {
                return RunState.GONE;
            }
            String stat;
            try {
                stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"), StandardCharsets.US_ASCII);
            } catch (IOException | RuntimeException e) {
                return process.isAlive() ? RunState.RUNNING : RunState.GONE;
            }
            return parseRunState(stat);
        }

        @Override
        public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
            if (process.waitFor(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
                return OptionalInt.of(process.exitValue());
            }
            return OptionalInt.empty();
        }

        @Override
        public void kill() {
            // Through the handle: Process.destroyForcibly() would also close our ends of the pipes, and
            // the worker's last stderr lines (often the reason it failed) would be lost.
            process.toHandle().destroyForcibly();
        }
    }
}
