package io.quantbot.storage.daemon.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the generated-client tests share: running a tool, and the one contract every generated client's check
 * script reports on (the same calls in every language, gRPC codes as UPPER_SNAKE names).
 */
final class GeneratedClients {
    record Result(int exitCode, String output) {
        /** The last line of the output that is a JSON object: the check script's report. */
        JsonNode report() throws IOException {
            String json = output.lines().filter(line -> line.startsWith("{")).reduce((first, second) -> second)
                    .orElseThrow(() -> new AssertionError("no JSON report in:\n" + output));
            return new ObjectMapper().readTree(json);
        }
    }

    private GeneratedClients() {}

    /** Runs a command in a folder, stdout and stderr together; a timeout gives exit code -1. */
    static Result run(Path directory, Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("generated-client-", ".log");
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out after " + timeout + ": " + String.join(" ", command) + "\n" + Files.readString(log));
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * The report of a check script: StatePort Set then Get of the same JSON, a compare-and-set against a wrong
     * version (ABORTED), a missing key (NOT_FOUND), and ArtifactPort GetServerInfo, CreateRun, a client-streaming
     * AppendRunRows of two rows and GetRun.
     */
    static void assertCalledTheDaemon(JsonNode report) {
        assertThat(report.get("server_version").asText()).isNotEmpty();
        assertThat(report.get("set_version").asLong()).isPositive();
        assertThat(report.get("get_json").asText()).isEqualTo("{\"done\": true}");
        assertThat(report.get("conflict").asText()).isEqualTo("ABORTED");
        assertThat(report.get("missing").asText()).isEqualTo("NOT_FOUND");
        assertThat(report.get("rows_committed").asLong()).isEqualTo(2);
        assertThat(report.get("run_row_count").asLong()).isEqualTo(2);
    }
}
