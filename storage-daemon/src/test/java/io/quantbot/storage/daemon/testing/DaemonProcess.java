package io.quantbot.storage.daemon.testing;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quantbot.storage.daemon.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The daemon as a separate OS process (same classpath as the tests), for crash, signal and lock tests. */
public final class DaemonProcess implements AutoCloseable {
    private static final Pattern GRPC_PORT = Pattern.compile("gRPC listening on [^:]+:(\\d+)");
    private static final Pattern HTTP_PORT = Pattern.compile("HTTP ops endpoint on http://[^:]+:(\\d+)/");

    private final Process process;
    private final Path logFile;
    private final List<ManagedChannel> channels = new ArrayList<>();

    private DaemonProcess(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts the daemon with exactly {@code args} (no defaults added) in {@code workingDirectory}, with
     * {@code environment} added to this process's environment minus every QUANTBOT_* variable.
     */
    public static DaemonProcess startRaw(Path workingDirectory, Map<String, String> environment, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp", absoluteClassPath(),
                Main.class.getName()));
        command.addAll(args);
        Path logFile = Files.createTempFile("daemon-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("QUANTBOT_"));
        builder.environment().putAll(environment);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.redirectError(logFile.toFile());
        return new DaemonProcess(builder.start(), logFile);
    }

    /** The test class path with every entry absolute, so the daemon can be started from any working directory. */
    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** Starts the daemon on dataDir with free ports; returns once it logged its ports (or failed). */
    public static DaemonProcess start(Path dataDir, String... extraArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp", System.getProperty("java.class.path"),
                Main.class.getName(),
                "--data-dir", dataDir.toString(),
                "--grpc-port", "0",
                "--http-port", "0",
                "--set", "duckdb.threads=2",
                "--set", "python-worker.python=" + TestingStorageDaemon.PYTHON,
                "--set", "python-worker.pool-size=0"));
        command.addAll(List.of(extraArgs));
        // stderr goes to a file: reading a child's pipe races the JDK draining it at exit ("Stream closed").
        Path logFile = Files.createTempFile("daemon-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.redirectError(logFile.toFile());
        return new DaemonProcess(builder.start(), logFile);
    }

    public DaemonProcess awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> log = log();
            if (grpcPort() > 0 && log.stream().anyMatch(line -> line.contains("Daemon is ready"))) {
                return this;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + String.join("\n", log()));
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("daemon not ready after " + timeout + ":\n" + String.join("\n", log()));
    }

    public ManagedChannel channel() {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort()).usePlaintext().build();
        channels.add(channel);
        return channel;
    }

    public int grpcPort() {
        return port(GRPC_PORT);
    }

    public int httpPort() {
        return port(HTTP_PORT);
    }

    private int port(Pattern pattern) {
        for (String line : log()) {
            Matcher matcher = pattern.matcher(line);
            if (matcher.find()) {
                return Integer.parseInt(matcher.group(1));
            }
        }
        return 0;
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no flush, nothing. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("daemon did not stop within " + timeout + " after SIGTERM:\n" + String.join("\n", log()));
        }
        return process.exitValue();
    }

    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("daemon still running after " + timeout);
        }
        return process.exitValue();
    }

    public List<String> log() {
        try {
            return Files.readAllLines(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(logFile);
    }
}
