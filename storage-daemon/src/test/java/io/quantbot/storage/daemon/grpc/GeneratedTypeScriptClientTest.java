package io.quantbot.storage.daemon.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.daemon.testing.ToolRequirement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proto is the contract for TypeScript too: protoc-gen-es generates the messages and service descriptors from
 * proto/, tsc compiles them with a small caller in strict mode, and Connect's gRPC transport makes the calls of
 * {@link GeneratedClients#assertCalledTheDaemon} against a real daemon. The npm packages are pinned by src/test/typescript/package-lock.json.
 * Skipped, with the reason, where Node.js is not installed or the npm registry cannot be reached, except under CI=true
 * (.ci/run installs Node.js), where either fails the test.
 */
class GeneratedTypeScriptClientTest {
    private static final Path SOURCES = Path.of("src", "test", "typescript");
    private static final Path PROTO = Path.of("..", "proto");
    private static final Pattern NETWORK_FAILURE = Pattern.compile("ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network");

    @TempDir
    Path work;

    private static Path includeDirContaining(String relative) throws IOException {
        Path dependencies = PROTO.resolve("target").resolve("protoc-dependencies");
        try (Stream<Path> dirs = Files.list(dependencies)) {
            Optional<Path> found = dirs.filter(dir -> Files.isRegularFile(dir.resolve(relative))).findFirst();
            return found.orElseThrow(() -> new IllegalStateException("no " + relative + " under " + dependencies
                    + "; build the proto module first (mvn install -pl proto)")).toAbsolutePath();
        }
    }

    @Test
    void a_typescript_client_generated_from_the_protos_talks_to_the_daemon() throws Exception {
        ToolRequirement.require(ToolRequirement.onPath("node") && ToolRequirement.onPath("npm"),
                "Node.js (node and npm) is not installed; the TypeScript client check needs it");
        for (String file : List.of("package.json", "package-lock.json", "tsconfig.json", "client_check.ts")) {
            Files.copy(SOURCES.resolve(file), work.resolve(file));
        }
        GeneratedClients.Result install = GeneratedClients.run(work, Duration.ofMinutes(3), List.of("npm", "ci", "--no-audit", "--no-fund"));
        if (install.exitCode() != 0 && NETWORK_FAILURE.matcher(install.output()).find()) {
            ToolRequirement.require(false, "the npm registry cannot be reached, so the pinned packages cannot be installed:\n" + install.output());
        }
        assertThat(install.exitCode()).as("npm ci:%n%s", install.output()).isZero();

        Path protoc;
        try (Stream<Path> plugins = Files.list(PROTO.resolve("target").resolve("protoc-plugins"))) {
            protoc = plugins.filter(p -> p.getFileName().toString().startsWith("protoc-") && !p.getFileName().toString().startsWith("protoc-gen"))
                    .findFirst().orElseThrow().toAbsolutePath();
        }
        Files.createDirectories(work.resolve("gen"));
        List<String> generate = new ArrayList<>(List.of(protoc.toString(),
                "-I" + PROTO.resolve("src/main/proto").toAbsolutePath(),
                "-I" + includeDirContaining("google/rpc/status.proto"),
                "-I" + includeDirContaining("google/protobuf/any.proto"),
                "--plugin=protoc-gen-es=" + work.resolve("node_modules/.bin/protoc-gen-es"),
                "--es_out=gen", "--es_opt=target=ts,import_extension=js",
                "quantbot/storage/v1/common.proto", "quantbot/storage/v1/state.proto", "quantbot/storage/v1/artifact.proto",
                "google/rpc/status.proto"));
        GeneratedClients.Result generated = GeneratedClients.run(work, Duration.ofMinutes(1), generate);
        assertThat(generated.exitCode()).as("protoc:%n%s", generated.output()).isZero();
        assertThat(work.resolve("gen/quantbot/storage/v1/state_pb.ts")).exists();
        assertThat(work.resolve("gen/quantbot/storage/v1/artifact_pb.ts")).exists();

        GeneratedClients.Result compiled = GeneratedClients.run(work, Duration.ofMinutes(2),
                List.of(work.resolve("node_modules/.bin/tsc").toString(), "-p", "."));
        assertThat(compiled.exitCode()).as("tsc (strict):%n%s", compiled.output()).isZero();

        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().set("log.access", "off").build()) {
            GeneratedClients.Result called = GeneratedClients.run(work, Duration.ofMinutes(1),
                    List.of("node", "out/client_check.js", "127.0.0.1:" + daemon.grpcPort()));
            assertThat(called.exitCode()).as("node:%n%s", called.output()).isZero();
            GeneratedClients.assertCalledTheDaemon(called.report());
        }
    }
}
