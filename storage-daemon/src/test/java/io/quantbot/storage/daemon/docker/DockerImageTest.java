package io.quantbot.storage.daemon.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.RunRowsWriter;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.ServerInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts the image, runs a small sweep against it through the SDK, and checks health and metrics.
 *
 * <p>Tagged {@code container}: the default build leaves it out (it needs a container engine), and
 * {@code .ci/compose-stack-test} runs it on every CI run against podman's Docker-compatible API with the
 * image it built ({@code -Dgroups=container -Dquantbot.test.image=TAG}). Without that property it builds
 * the image from {@code docker/Dockerfile} itself, which needs a registry for the base images.
 */
@Tag("container")
@Testcontainers
class DockerImageTest {
    private static final String TOKEN = "container-test-token-0123456789";

    @Test
    void theImageServesASweepWithAuthHealthAndMetrics() throws Exception {
        String prebuilt = System.getProperty("quantbot.test.image", "");
        try (GenericContainer<?> daemon = (prebuilt.isEmpty()
                ? new GenericContainer<>(new ImageFromDockerfile("quantbot/storage-daemon-test", true)
                        .withFileFromPath(".", Path.of("..").toAbsolutePath().normalize())
                        .withDockerfilePath("docker/Dockerfile"))
                : new GenericContainer<>(DockerImageName.parse(prebuilt)))
                .withEnv("QUANTBOT_AUTH_TOKENS_FILE", "")
                .withEnv("QUANTBOT_AUTH_TOKENS", "test:write:" + TOKEN)
                .withExposedPorts(50051, 9464)
                .waitingFor(Wait.forHttp("/readyz").forPort(9464).forStatusCode(200).withStartupTimeout(Duration.ofMinutes(3)))) {
            daemon.start();
            try (QuantbotStorageClient client = QuantbotStorageClient.builder().forAddress(daemon.getHost(), daemon.getMappedPort(50051))
                    .bearerToken(TOKEN).build()) {
                ServerInfo before = client.artifacts().getServerInfo();
                assertThat(before.getWorkersReady()).isEqualTo(before.getWorkerPoolSize()).isPositive();
                for (int scenario = 0; scenario < 3; scenario++) {
                    Run run = client.artifactStub().createRun(CreateRunRequest.newBuilder().setSweepId("docker").setScenarioId("s" + scenario).build()).getRun();
                    try (RunRowsWriter writer = client.artifacts().newRunRowsWriter(run.getRunId())) {
                        writer.write(RowChunks.chunk(0, 500));
                        writer.write(RowChunks.chunk(500, 500));
                        writer.finish();
                    }
                    Run finished = client.artifactStub().finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId())
                            .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build());
                    assertThat(finished.getRowCount()).isEqualTo(1000);
                    assertThat(finished.getResultArtifactId()).isNotEmpty();
                }
                assertThat(client.artifacts().getServerInfo().getWorkerSpawnCount()).isEqualTo(before.getWorkerSpawnCount());
            }
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + daemon.getHost() + ":"
                    + daemon.getMappedPort(9464) + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("quantbot_grpc_server_calls_seconds_count{code=\"OK\",method=\"quantbot.storage.v1.ArtifactPort/FinishRun\"} 3");
        }
    }
}
