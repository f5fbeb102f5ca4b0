package io.quantbot.storage.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs enforcement/verify-worker-fence (the CI scan) on fixture trees: a clean tree passes, and every kind
 * of violation is reported as {@code file:line: rule: explanation} with exit status 1.
 */
class VerifyWorkerFenceTest {
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."), "verify-worker-fence").toAbsolutePath();
    private static final Pattern VIOLATION = Pattern.compile("^(\\S+):(\\d+): ([a-z-]+): (.+)$");

    private static final String DAEMON = "storage-daemon/src/main/java/io/quantbot/storage/daemon/";
    private static final String POOL = DAEMON + "storage/pyworker/";
    private static final String CLIENT = "client-sdk/src/main/java/io/quantbot/storage/client/";
    private static final String SWEEP = "sweep-runner/src/main/java/io/quantbot/sweep/";
    private static final String WORKER = "python-worker/src/quantbot_worker/";

    @TempDir
    Path root;

    private record Result(int exitCode, List<String> stdout, String stderr) {
        List<String> violations() {
            return stdout.stream().filter(line -> VIOLATION.matcher(line).matches()).toList();
        }

        /** "file:line: rule" of every violation, without the explanation. */
        List<String> locations() {
            List<String> locations = new ArrayList<>();
            for (String line : violations()) {
                Matcher matcher = VIOLATION.matcher(line);
                assertThat(matcher.matches()).isTrue();
                locations.add(matcher.group(1) + ":" + matcher.group(2) + ": " + matcher.group(3));
            }
            return locations;
        }
    }

    @Test
    void clean_tree_passes_with_a_one_line_summary() throws Exception {
        writeCleanTree();

        Result result = scan();

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.stdout()).containsExactly("verify-worker-fence: OK: 0 violations in 6 Java and 5 Python files, 6 rules");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("violations")
    void each_kind_of_violation_is_reported_with_file_line_and_rule(String kind, String file, List<String> lines,
            List<String> expected) throws Exception {
        writeCleanTree();
        write(file, lines.toArray(String[]::new));

        Result result = scan();

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.locations()).as(result.toString()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(result.stdout().get(result.stdout().size() - 1))
                .startsWith("verify-worker-fence: FAILED: " + expected.size() + " violation(s) in ");
    }

    static Stream<Arguments> violations() {
        return Stream.of(
                violation("the pool imported by a gRPC adapter",
                        DAEMON + "grpc/BadAdapter.java",
                        List.of("package io.quantbot.storage.daemon.grpc;",
                                "",
                                "import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool;",
                                "",
                                "final class BadAdapter {}"),
                        DAEMON + "grpc/BadAdapter.java:3: only-storage-layer-uses-the-worker-pool"),
                violation("the pool named by a sweep (also a daemon class in a client)",
                        SWEEP + "PoolUser.java",
                        List.of("package io.quantbot.sweep;",
                                "",
                                "final class PoolUser {",
                                "    io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool pool;",
                                "}"),
                        SWEEP + "PoolUser.java:4: only-storage-layer-uses-the-worker-pool",
                        SWEEP + "PoolUser.java:4: clients-never-depend-on-the-daemon"),
                violation("ProcessBuilder in a sweep",
                        SWEEP + "SweepSpawningPython.java",
                        List.of("package io.quantbot.sweep;",
                                "",
                                "final class SweepSpawningPython {",
                                "    Process run(String json) throws java.io.IOException {",
                                "        return new ProcessBuilder(\"python3\", \"script.py\", \"--data\", json).start();",
                                "    }",
                                "}"),
                        SWEEP + "SweepSpawningPython.java:5: only-the-process-launcher-spawns-processes"),
                violation("ProcessBuilder in a Java package named like build output",
                        SWEEP + "build/Spawner.java",
                        List.of("package io.quantbot.sweep.build;",
                                "",
                                "final class Spawner { ProcessBuilder builder; }"),
                        SWEEP + "build/Spawner.java:3: only-the-process-launcher-spawns-processes"),
                violation("ProcessBuilder in the pool, outside the launcher",
                        POOL + "ProcessWorkerPool.java",
                        List.of("package io.quantbot.storage.daemon.storage.pyworker;",
                                "",
                                "import java.lang.ProcessBuilder;",
                                "",
                                "final class ProcessWorkerPool {}"),
                        POOL + "ProcessWorkerPool.java:3: only-the-process-launcher-spawns-processes"),
                violation("Runtime.getRuntime().exec split over lines",
                        DAEMON + "server/Restarter.java",
                        List.of("package io.quantbot.storage.daemon.server;",
                                "",
                                "final class Restarter {",
                                "    Process restart(String[] command) throws java.io.IOException {",
                                "        return Runtime.getRuntime()",
                                "                .exec(command);",
                                "    }",
                                "}"),
                        DAEMON + "server/Restarter.java:5: only-the-process-launcher-spawns-processes"),
                violation("Runtime.exec through a variable",
                        DAEMON + "server/Restarter.java",
                        List.of("package io.quantbot.storage.daemon.server;",
                                "",
                                "final class Restarter {",
                                "    Process restart(String[] command) throws java.io.IOException {",
                                "        Runtime runtime = Runtime.getRuntime();",
                                "        return runtime.exec(command);",
                                "    }",
                                "}"),
                        DAEMON + "server/Restarter.java:6: only-the-process-launcher-spawns-processes"),
                violation("line numbers survive comments and strings before the violation",
                        SWEEP + "Commented.java",
                        List.of("package io.quantbot.sweep;",
                                "",
                                "/*",
                                " * Never use ProcessBuilder here, nor org.duckdb,",
                                " * nor io.quantbot.storage.daemon.storage.pyworker.",
                                " */",
                                "final class Commented {",
                                "    String note = \"ProcessBuilder // not code /* either\";",
                                "    Object builder = new ProcessBuilder(); // the real one",
                                "}"),
                        SWEEP + "Commented.java:9: only-the-process-launcher-spawns-processes"),
                violation("the worker protocol in the DuckDB adapters",
                        DAEMON + "storage/duckdb/FrameReader.java",
                        List.of("package io.quantbot.storage.daemon.storage.duckdb;",
                                "",
                                "import io.quantbot.storage.worker.v1.Request;",
                                "",
                                "final class FrameReader {}"),
                        DAEMON + "storage/duckdb/FrameReader.java:3: worker-protocol-stays-in-the-pool"),
                violation("DuckDB in client-sdk",
                        CLIENT + "LocalShortcut.java",
                        List.of("package io.quantbot.storage.client;",
                                "",
                                "import org.duckdb.DuckDBConnection;",
                                "",
                                "final class LocalShortcut {}"),
                        CLIENT + "LocalShortcut.java:3: clients-never-depend-on-the-daemon"),
                violation("a daemon class in the sweep runner",
                        SWEEP + "StateShortcut.java",
                        List.of("package io.quantbot.sweep;",
                                "",
                                "import io.quantbot.storage.daemon.state.StateKey;",
                                "",
                                "final class StateShortcut {}"),
                        SWEEP + "StateShortcut.java:3: clients-never-depend-on-the-daemon"),
                violation("a jdbc:duckdb URL in the sweep runner",
                        SWEEP + "DirectOpen.java",
                        List.of("package io.quantbot.sweep;",
                                "",
                                "final class DirectOpen {",
                                "    java.sql.Connection open() throws java.sql.SQLException {",
                                "        return java.sql.DriverManager.getConnection(\"jdbc:duckdb:data/quantbot.duckdb\");",
                                "    }",
                                "}"),
                        SWEEP + "DirectOpen.java:5: clients-never-depend-on-the-daemon"),
                violation("subprocess in the worker",
                        WORKER + "handlers/shell.py",
                        List.of("\"\"\"Runs a helper.\"\"\"",
                                "import subprocess",
                                "",
                                "",
                                "def run() -> None:",
                                "    subprocess.run([\"true\"], check=True)"),
                        WORKER + "handlers/shell.py:2: python-worker-never-spawns",
                        WORKER + "handlers/shell.py:6: python-worker-never-spawns"),
                violation("os.system and an aliased os.execvp in the worker",
                        WORKER + "restart.py",
                        List.of("import os",
                                "import os as operating_system",
                                "",
                                "",
                                "def restart() -> None:",
                                "    os.system(\"true\")",
                                "    operating_system.execvp(\"python3\", [\"python3\"])"),
                        WORKER + "restart.py:6: python-worker-never-spawns",
                        WORKER + "restart.py:7: python-worker-never-spawns"),
                violation("multiprocessing and a process pool in the worker",
                        WORKER + "parallel.py",
                        List.of("from multiprocessing import Pool",
                                "from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor"),
                        WORKER + "parallel.py:1: python-worker-never-spawns",
                        WORKER + "parallel.py:2: python-worker-never-spawns"),
                violation("a dynamic import of subprocess in the worker",
                        WORKER + "sneaky.py",
                        List.of("import importlib",
                                "",
                                "runner = importlib.import_module(\"subprocess\")"),
                        WORKER + "sneaky.py:3: python-worker-never-spawns"),
                violation("quantbot_worker imported by a tool outside python-worker",
                        "tools/storage/replay.py",
                        List.of("# Replays frames through the worker in-process.",
                                "from quantbot_worker.framing import read_frame",
                                "import quantbot_worker"),
                        "tools/storage/replay.py:2: only-python-worker-imports-quantbot-worker",
                        "tools/storage/replay.py:3: only-python-worker-imports-quantbot-worker"));
    }

    @Test
    void all_kinds_at_once_are_sorted_by_file_and_line() throws Exception {
        writeCleanTree();
        write(SWEEP + "B.java", "package io.quantbot.sweep;", "class B { ProcessBuilder b; }");
        write(SWEEP + "A.java", "package io.quantbot.sweep;", "", "import org.duckdb.DuckDBConnection;");
        write(WORKER + "spawn.py", "import os", "os.popen('ls')");

        Result result = scan();

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.violations()).containsExactly(
                WORKER + "spawn.py:2: python-worker-never-spawns: uses os.popen; the Python worker never starts"
                        + " processes (no subprocess, os.system/popen/exec*/spawn*/fork, multiprocessing)",
                SWEEP + "A.java:3: clients-never-depend-on-the-daemon: uses org.duckdb; client-sdk and sweep-runner"
                        + " see only the generated ports and client-sdk, never the daemon or DuckDB",
                SWEEP + "B.java:2: only-the-process-launcher-spawns-processes: uses ProcessBuilder; only "
                        + POOL + "WorkerProcessLauncher.java may start processes; sweeps must never spawn Python per run");
    }

    @Test
    void a_root_without_sources_is_an_error_not_a_pass() throws Exception {
        Result empty = scan();
        assertThat(empty.exitCode()).isEqualTo(2);
        assertThat(empty.stderr()).contains("no Java or Python sources");

        Result missing = scan("--root", root.resolve("nowhere").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.stderr()).contains("is not a directory");
    }

    @Test
    void the_repository_itself_is_clean() throws Exception {
        Result result = run(List.of(SCRIPT.toString()));

        assertThat(result.exitCode()).as(String.join("\n", result.stdout())).isZero();
        assertThat(result.stdout()).singleElement().asString().startsWith("verify-worker-fence: OK: 0 violations in ");
    }

    /**
     * Allowed uses, and things that only look like violations: comments, javadoc, strings, tests, build
     * output. 6 Java files under src/main/java and 5 Python files are read.
     */
    private void writeCleanTree() throws IOException {
        write(DAEMON + "storage/duckdb/ArtifactStore.java",
                "package io.quantbot.storage.daemon.storage.duckdb;",
                "",
                "import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool;",
                "",
                "/** Uses the pool: allowed, this is the storage layer. Never ProcessBuilder here. */",
                "final class ArtifactStore {",
                "    // A ProcessBuilder, Runtime.getRuntime().exec or io.quantbot.storage.worker.v1 mention in a comment.",
                "    private static final String NOTE = \"ProcessBuilder is for the launcher only\";",
                "    private final PythonWorkerPool pool = null;",
                "}");
        write(POOL + "PythonWorkerPool.java",
                "package io.quantbot.storage.daemon.storage.pyworker;",
                "",
                "import io.quantbot.storage.worker.v1.Request;",
                "",
                "public interface PythonWorkerPool {",
                "    void call(Request request);",
                "}");
        write(POOL + "WorkerProcessLauncher.java",
                "package io.quantbot.storage.daemon.storage.pyworker;",
                "",
                "final class WorkerProcessLauncher {",
                "    Process launch() throws java.io.IOException {",
                "        return new ProcessBuilder(\"python3\", \"-m\", \"quantbot_worker\").start();",
                "    }",
                "}");
        write(DAEMON + "cli/ServeCommand.java",
                "package io.quantbot.storage.daemon.cli;",
                "",
                "final class ServeCommand {",
                "    void hook(Thread thread) {",
                "        Runtime.getRuntime().addShutdownHook(thread); // not exec",
                "    }",
                "}");
        write(CLIENT + "StateClient.java",
                "package io.quantbot.storage.client;",
                "",
                "import io.quantbot.storage.v1.StatePortGrpc;",
                "",
                "/** Talks to the daemon (which owns org.duckdb and io.quantbot.storage.daemon) through the port. */",
                "public final class StateClient {}");
        write(SWEEP + "SweepRunner.java",
                "package io.quantbot.sweep;",
                "",
                "/**",
                " * Never spawns: {@link ProcessBuilder} is not for sweeps.",
                " */",
                "final class SweepRunner {",
                "    String text = \"\"\"",
                "        ProcessBuilder and jdbc-free text block",
                "        \"\"\";",
                "}");
        // Test code may spawn processes and use anything; only src/main/java is production code.
        write("storage-daemon/src/test/java/io/quantbot/storage/daemon/testing/DaemonProcess.java",
                "package io.quantbot.storage.daemon.testing;",
                "final class DaemonProcess { ProcessBuilder builder; }");
        // Build output is never scanned.
        write("storage-daemon/target/generated-sources/Generated.java", "class Generated { ProcessBuilder b; }");
        write("python-worker/target/classes/spawn.py", "import subprocess");
        // Nor is the daemon's default data dir: it holds the copy of the worker package the pool runs.
        write("data/worker-code/d5c712a1629a4968/quantbot_worker/worker.py", "from quantbot_worker.config import WorkerConfig");

        write(WORKER + "__init__.py", "\"\"\"The worker never spawns: no subprocess, no os.system.\"\"\"");
        write(WORKER + "worker.py",
                "import os  # os.system is forbidden here, os.path is fine",
                "from concurrent.futures import ThreadPoolExecutor",
                "",
                "HELP = \"subprocess.run and os.popen are not used\"",
                "",
                "",
                "def data_dir() -> str:",
                "    return os.path.join(os.getcwd(), \"data\")");
        write("python-worker/tests/test_subprocess.py",
                "import subprocess",
                "",
                "import quantbot_worker",
                "",
                "",
                "def test_runs() -> None:",
                "    subprocess.run([\"python3\", \"-m\", \"quantbot_worker\", \"--help\"], check=True)");
        write("python-worker/tests/conftest.py", "from quantbot_worker.framing import read_frame");
        write("docker/healthcheck.py", "import subprocess  # outside python-worker/src: not the worker's code");
    }

    private void write(String relative, String... lines) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, Arrays.asList(lines), StandardCharsets.UTF_8);
    }

    private Result scan(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
        if (arguments.length == 0) {
            command.addAll(List.of("--root", root.toString()));
        } else {
            command.addAll(List.of(arguments));
        }
        return run(command);
    }

    private static Result run(List<String> command) throws Exception {
        Path stderrFile = Files.createTempFile("verify-worker-fence", ".stderr");
        try {
            Process process = new ProcessBuilder(command).redirectError(stderrFile.toFile()).start();
            process.getOutputStream().close();
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            String stderr = Files.readString(stderrFile, StandardCharsets.UTF_8);
            return new Result(process.exitValue(), stdout.lines().toList(), stderr);
        } finally {
            Files.deleteIfExists(stderrFile);
        }
    }

    private static Arguments violation(String kind, String file, List<String> lines, String... expected) {
        return Arguments.of(kind, file, lines, List.of(expected));
    }
}
