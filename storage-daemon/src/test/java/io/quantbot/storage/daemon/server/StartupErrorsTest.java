package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 item 12 and issue 11 items 3 and 4: start-up as a person meets it, each case a real daemon
 * process: the message says what is wrong and what to do, once, with the documented exit code and no
 * stack trace; the data-dir lock is taken before any port opens; the daemon runs from any directory.
 */
class StartupErrorsTest {
    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private static List<String> args(Path dataDir, String... more) {
        return args(dataDir, 0, 0, more);
    }

    private static List<String> args(Path dataDir, int grpcPort, int httpPort, String... more) {
        List<String> args = new ArrayList<>(List.of("--data-dir", dataDir.toString(), "--grpc-port", Integer.toString(grpcPort),
                "--http-port", Integer.toString(httpPort), "--set", "duckdb.threads=1", "--set", "python-worker.pool-size=0"));
        args.addAll(List.of(more));
        return args;
    }

    private DaemonProcess start(List<String> args) throws IOException {
        return DaemonProcess.startRaw(dir, Map.of(), args);
    }

    /** The log as one string, with the checks every start-up error shares: the line once, no stack trace. */
    private static String failedOnce(DaemonProcess daemon, String expected) {
        String log = String.join("\n", daemon.log());
        assertThat(log).as("the message, once").containsOnlyOnce(expected);
        assertThat(log).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception:");
        assertThat(log).as("no port was opened").doesNotContain("gRPC listening").doesNotContain("HTTP ops endpoint on");
        return log;
    }

    @Test
    void aSecondDaemonOnAHeldDataDirIsRefusedBeforeItOpensAnyPort() throws Exception {
        Path dataDir = dir.resolve("data");
        try (DaemonProcess first = start(args(dataDir)).awaitReady(START);
                ServerSocket grpcTaken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket httpTaken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // The second daemon's own ports are taken too: if it opened any port before the lock it would fail on that port
            // (and say so); it must fail on the lock, naming the first daemon, and never get as far as a port.
            try (DaemonProcess refused = start(args(dataDir, grpcTaken.getLocalPort(), httpTaken.getLocalPort()))) {
                assertThat(refused.awaitExit(START)).isEqualTo(3);
                String log = failedOnce(refused, "is locked by process " + first.pid());
                assertThat(log).contains("Only one daemon may own a data dir").doesNotContain("already in use");
            }
            assertThat(first.terminate(START)).isZero();
        }
    }

    @Test
    void aPortInUseIsNamedWithItsHolderAndExits3() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            try (DaemonProcess daemon = start(args(dir.resolve("a"), port, 0))) {
                assertThat(daemon.awaitExit(START)).isEqualTo(3);
                String log = failedOnce(daemon, "the gRPC port 127.0.0.1:" + port + " is already in use by process " + ProcessHandle.current().pid());
                assertThat(log).contains("grpc.port (0 = any free port)");
            }
            try (DaemonProcess daemon = start(args(dir.resolve("b"), 0, port))) {
                assertThat(daemon.awaitExit(START)).isEqualTo(3);
                failedOnce(daemon, "the HTTP ops port 127.0.0.1:" + port + " is already in use by process " + ProcessHandle.current().pid());
            }
        }
    }

    @Test
    void aDataDirThatIsAFileOrUnderAFileExits2() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        try (DaemonProcess daemon = start(args(file))) {
            assertThat(daemon.awaitExit(START)).isEqualTo(2);
            failedOnce(daemon, "the data dir " + file + " is a file, not a directory");
        }
        try (DaemonProcess daemon = start(args(file.resolve("data")))) {
            assertThat(daemon.awaitExit(START)).isEqualTo(2);
            failedOnce(daemon, "cannot use the data dir " + file.resolve("data") + ": ");
        }
    }

    @Test
    void aReadOnlyDataDirIsPermissionDeniedAndExits2() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("ro"));
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mount.toString());
        if (!"true".equals(System.getenv("CI"))) {
            Assumptions.assumeTrue(mounted, "cannot mount a read-only tmpfs here (needs root with CAP_SYS_ADMIN); skipped");
        }
        assertThat(mounted).as("mount a read-only tmpfs (CI runs as root)").isTrue();
        try {
            try (DaemonProcess daemon = start(args(mount))) {
                assertThat(daemon.awaitExit(START)).isEqualTo(2);
                failedOnce(daemon, "the data dir " + mount + " is not writable (permission denied: read-only file system)");
            }
            try (DaemonProcess daemon = start(args(mount.resolve("data")))) {
                assertThat(daemon.awaitExit(START)).isEqualTo(2);
                failedOnce(daemon, "not writable (permission denied: read-only file system)");
            }
        } finally {
            run("umount", mount.toString());
        }
    }

    @Test
    void aMissingConfigFileAndDuplicateKeysExit2() throws Exception {
        Path missing = dir.resolve("missing.properties");
        try (DaemonProcess daemon = start(args(dir.resolve("d"), "--config", missing.toString()))) {
            assertThat(daemon.awaitExit(START)).isEqualTo(2);
            failedOnce(daemon, "config file " + missing + " does not exist");
        }
        Path twice = Files.writeString(dir.resolve("twice.properties"), "log.level = info\nlog.level = debug\n");
        try (DaemonProcess daemon = start(args(dir.resolve("d"), "--config", twice.toString()))) {
            assertThat(daemon.awaitExit(START)).isEqualTo(2);
            failedOnce(daemon, "sets 'log.level' more than once");
        }
    }

    @Test
    void anUnknownQuantbotVariableIsWarnedAboutOnceAndTheDaemonStillRunsFromAnyDirectory() throws Exception {
        // No python-worker.python: the default must be found beside the installation, not in this working directory.
        Path elsewhere = Files.createDirectories(dir.resolve("srv/research"));
        List<String> args = List.of("--grpc-port", "0", "--http-port", "0", "--set", "duckdb.threads=1", "--set", "python-worker.pool-size=1");
        Assumptions.assumeTrue(Files.isExecutable(TestingStorageDaemon.PYTHON), "the worker venv is not built");
        try (DaemonProcess daemon = DaemonProcess.startRaw(elsewhere, Map.of("QUANTBOT_GRPC_PROT", "1234"), args).awaitReady(START)) {
            String log = String.join("\n", daemon.log());
            assertThat(log).containsOnlyOnce("environment variable QUANTBOT_GRPC_PROT is not a configuration key and is ignored"
                    + " (did you mean QUANTBOT_GRPC_PORT?)");
            assertThat(elsewhere.resolve("data/daemon.lock")).as("data-dir ./data is the working directory's").exists();
            assertThat(daemon.terminate(START)).isZero();
        }
    }

    private static boolean run(String... command) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
