package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerCodeTest {
    private static final ClassLoader LOADER = WorkerCodeTest.class.getClassLoader();

    @TempDir
    Path dir;

    @Test
    void theTreeComesFromTheClasspathWithoutCaches() throws Exception {
        Map<String, byte[]> files = WorkerCode.load(LOADER);
        assertThat(files).containsKeys("quantbot_worker/__main__.py", "quantbot_worker/worker.py",
                "quantbot_worker/templates/report.html.j2", "quantbot/storage/worker/v1/worker_pb2.py");
        assertThat(files.keySet()).noneMatch(name -> name.endsWith(".pyc") || name.contains("__pycache__"));
        assertThat(WorkerCode.hash(files)).matches("[0-9a-f]{16}").isEqualTo(WorkerCode.hash(WorkerCode.load(LOADER)));
    }

    @Test
    void theHashCoversNamesLengthsAndBytesInPathOrder() {
        // Golden values from Python's hashlib (sha256 over "path\0length\0bytes" per file, in path order; first 16 hex digits).
        assertThat(WorkerCode.hash(new java.util.TreeMap<>())).isEqualTo("e3b0c44298fc1c14");
        Map<String, byte[]> tree = new java.util.TreeMap<>(Map.of(
                "quantbot_worker/cli.py", "def run():\n    return 0\n".getBytes(StandardCharsets.UTF_8),
                "quantbot_worker/__main__.py", "from quantbot_worker.cli import run\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(WorkerCode.hash(tree)).isEqualTo("211d3a3f62790d49");
        tree.put("quantbot_worker/cli.py", "def run():\n    return 1\n".getBytes(StandardCharsets.UTF_8));
        assertThat(WorkerCode.hash(tree)).isNotEqualTo("211d3a3f62790d49");
    }

    @Test
    void theSameTreeFromAJarOrAFolderHasTheSameHash() throws Exception {
        Map<String, byte[]> files = Map.of(
                "quantbot_worker/__main__.py", "from quantbot_worker.cli import run\n".getBytes(StandardCharsets.UTF_8),
                "quantbot_worker/cli.py", "def run():\n    return 0\n".getBytes(StandardCharsets.UTF_8),
                "quantbot_worker/__pycache__/cli.cpython-311.pyc", new byte[] {1, 2, 3});
        Path folder = dir.resolve("classes");
        Path jar = dir.resolve("worker.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("python/"));
            out.putNextEntry(new JarEntry("python/quantbot_worker/"));
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path path = folder.resolve("python").resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.write(path, file.getValue());
                out.putNextEntry(new JarEntry("python/" + file.getKey()));
                out.write(file.getValue());
            }
            out.putNextEntry(new JarEntry("io/quantbot/Other.class"));
        }
        Map<String, byte[]> fromFolder;
        Map<String, byte[]> fromJar;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {folder.toUri().toURL()}, null)) {
            fromFolder = WorkerCode.load(loader);
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            fromJar = WorkerCode.load(loader);
        }
        assertThat(fromFolder.keySet()).containsExactlyInAnyOrder("quantbot_worker/__main__.py", "quantbot_worker/cli.py");
        assertThat(fromJar.keySet()).isEqualTo(fromFolder.keySet());
        // Golden value, computed outside the code under test (Python's hashlib over path NUL length NUL bytes, in path order).
        assertThat(WorkerCode.hash(fromFolder)).isEqualTo("211d3a3f62790d49");
        assertThat(WorkerCode.hash(fromJar)).isEqualTo("211d3a3f62790d49");
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertThatThrownBy(() -> WorkerCode.load(empty)).hasMessageContaining("is not on the classpath");
        }
    }

    @Test
    void extractedOnceIntoAContentHashedFolderAndReused() throws Exception {
        Path root = dir.resolve("worker-code");
        Path first = WorkerCode.extract(root);
        assertThat(first.getParent()).isEqualTo(root);
        assertThat(first.getFileName().toString()).isEqualTo(WorkerCode.hash(WorkerCode.load(LOADER)));
        assertThat(first.resolve("quantbot_worker/__main__.py")).isRegularFile();
        Path marker = first.resolve("quantbot_worker/__main__.py");
        // A modification time far in the past: a rewrite would show as a different one, without waiting for the clock to move.
        long modified = 1_000_000_000_000L;
        Files.setLastModifiedTime(marker, java.nio.file.attribute.FileTime.fromMillis(modified));

        Files.createDirectories(root.resolve("0123456789abcdef/quantbot_worker"));
        Files.createDirectories(root.resolve(".tmp-deadbeef-1"));
        Path second = WorkerCode.extract(root);
        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(marker).toMillis()).isEqualTo(modified);
        try (Stream<Path> entries = Files.list(root)) {
            assertThat(entries.map(path -> path.getFileName().toString())).containsExactly(first.getFileName().toString());
        }
    }

    @Test
    void aHalfExtractedTreeIsReplaced() throws Exception {
        Path root = dir.resolve("worker-code");
        Path half = Files.createDirectories(root.resolve(WorkerCode.hash(WorkerCode.load(LOADER))).resolve("quantbot_worker"));
        Files.writeString(half.resolve("worker.py"), "truncated");
        Path tree = WorkerCode.extract(root);
        assertThat(Files.readString(tree.resolve("quantbot_worker/worker.py"))).contains("def main(");
    }
}
