package io.quantbot.storage.daemon.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proto is the contract for other languages too: a Python client generated from proto/ with grpc_tools
 * (message classes, gRPC stubs and .pyi stubs, no hand-written code) makes the calls of
 * {@link GeneratedClients#assertCalledTheDaemon} against a real daemon. The generator and runtime are pinned in
 * the worker's venv (python-worker/requirements-dev.txt).
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
            GeneratedClients.Result result = GeneratedClients.run(Path.of("."), Duration.ofMinutes(2), List.of(
                    TestingStorageDaemon.PYTHON.toString(), SCRIPT.toString(), "--proto-root", PROTO_ROOT.toString(),
                    "--out", temporary.resolve("generated").toString(), "--target", "127.0.0.1:" + daemon.grpcPort()));
            assertThat(result.exitCode()).as("the script:%n%s", result.output()).isZero();

            JsonNode report = result.report();
            assertThat(report.get("generated")).extracting(JsonNode::asText)
                    .contains("quantbot/storage/v1/state_pb2.py", "quantbot/storage/v1/state_pb2.pyi",
                            "quantbot/storage/v1/state_pb2_grpc.py", "quantbot/storage/v1/artifact_pb2_grpc.py",
                            "quantbot/storage/v1/artifact_pb2.pyi");
            GeneratedClients.assertCalledTheDaemon(report);
        }
    }
}
