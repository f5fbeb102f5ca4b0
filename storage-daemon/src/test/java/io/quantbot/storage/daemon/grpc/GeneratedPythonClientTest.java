package io.quantbot.storage.daemon.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proto is the contract for other languages too: a Python client generated from proto/ with grpc_tools
 * (message classes, gRPC stubs and .pyi stubs, no hand-written code) calls a real daemon — StatePort Set/Get,
 * a version conflict (ABORTED), a missing key (NOT_FOUND), and ArtifactPort's GetServerInfo, CreateRun, a
 * client-streaming AppendRunRows and GetRun. The generator and runtime are pinned in the worker's venv
 * (python-worker/requirements-dev.txt).
 */
@Tag("python")
class GeneratedPythonClientTest {
    private static final Path SCRIPT = Path.of("src", "test", "python", "generated_client_check.py");
    private static final Path PROTO_ROOT = Path.of("..", "proto", "src", "main", "proto");

    @TempDir
    Path temporary;

    @Test
    void a_python_client_generated_from_the_protos_talks_to_the_daemon() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().set("log.access", "off").build()) {
            Path output = temporary.resolve("output.json");
            Process python = new ProcessBuilder(TestingStorageDaemon.PYTHON.toString(), SCRIPT.toString(),
                    "--proto-root", PROTO_ROOT.toString(), "--out", temporary.resolve("generated").toString(),
                    "--target", "127.0.0.1:" + daemon.grpcPort())
                    .redirectOutput(output.toFile())
                    .redirectError(temporary.resolve("stderr.txt").toFile())
                    .start();
            boolean finished = python.waitFor(120, TimeUnit.SECONDS);
            if (!finished) {
                python.destroyForcibly();
            }
            String stderr = Files.readString(temporary.resolve("stderr.txt"), StandardCharsets.UTF_8);
            assertThat(finished).as("the script finished; stderr:%n%s", stderr).isTrue();
            assertThat(python.exitValue()).as("exit code; stderr:%n%s", stderr).isZero();

            JsonNode report = new ObjectMapper().readTree(Files.readString(output, StandardCharsets.UTF_8));
            assertThat(report.get("generated")).extracting(JsonNode::asText)
                    .contains("quantbot/storage/v1/state_pb2.py", "quantbot/storage/v1/state_pb2.pyi",
                            "quantbot/storage/v1/state_pb2_grpc.py", "quantbot/storage/v1/artifact_pb2_grpc.py",
                            "quantbot/storage/v1/artifact_pb2.pyi");
            assertThat(report.get("server_version").asText()).isNotEmpty();
            assertThat(report.get("set_version").asLong()).isPositive();
            assertThat(report.get("get_json").asText()).isEqualTo("{\"done\": true}");
            assertThat(report.get("conflict").asText()).isEqualTo("ABORTED");
            assertThat(report.get("missing").asText()).isEqualTo("NOT_FOUND");
            assertThat(report.get("rows_committed").asLong()).isEqualTo(2);
            assertThat(report.get("run_row_count").asLong()).isEqualTo(2);
        }
    }
}
