package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerCodeTest {
    @TempDir
    Path dir;

    @Test
    void theTreeComesFromTheClasspathWithoutCaches() throws Exception {
        Map<String, byte[]> files = WorkerCode.load();
        assertThat(files).containsKeys("quantbot_worker/__main__.py", "quantbot_worker/worker.py",
                "quantbot_worker/templates/report.html.j2", "quantbot/storage/worker/v1/worker_pb2.py");
        assertThat(files.keySet()).noneMatch(name -> name.endsWith(".pyc") || name.contains("__pycache__"));
        assertThat(WorkerCode.hash(files)).matches("[0-9a-f]{16}").isEqualTo(WorkerCode.hash(WorkerCode.load()));
    }

    @Test
    void extractedOnceIntoAContentHashedFolderAndReused() throws Exception {
        Path root = dir.resolve("worker-code");
        Path first = WorkerCode.extract(root);
        assertThat(first.getParent()).isEqualTo(root);
        assertThat(first.getFileName().toString()).isEqualTo(WorkerCode.hash(WorkerCode.load()));
        assertThat(first.resolve("quantbot_worker/__main__.py")).isRegularFile();
        Path marker = first.resolve("quantbot_worker/__main__.py");
        long modified = Files.getLastModifiedTime(marker).toMillis();

        Files.createDirectories(root.resolve("0123456789abcdef/quantbot_worker"));
        Files.createDirectories(root.resolve(".tmp-deadbeef-1"));
        Thread.sleep(20);
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
        Path half = Files.createDirectories(root.resolve(WorkerCode.hash(WorkerCode.load())).resolve("quantbot_worker"));
        Files.writeString(half.resolve("worker.py"), "truncated");
        Path tree = WorkerCode.extract(root);
        assertThat(Files.readString(tree.resolve("quantbot_worker/worker.py"))).contains("def main(");
    }
}
