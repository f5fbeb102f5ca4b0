package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.daemon.testing.ToolRequirement;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The live /metrics output passes Prometheus' own linter (promtool on PATH, Debian package prometheus; .ci/run installs it; skipped without it only outside CI). */
@Tag("python")
class PromtoolTest {
    @Test
    void metricsPassPromtoolCheckMetrics() throws Exception {
        ToolRequirement.require(ToolRequirement.onPath("promtool"), "promtool is not installed (apt-get install prometheus)");
        String promtool = "promtool";
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().set("python-worker.pool-size", "1").build()) {
            var state = StatePortGrpc.newBlockingStub(daemon.loopbackChannel());
            state.set(SetRequest.newBuilder().setNamespace("p").setKey("k").setValue(Value.newBuilder().setJson("1")).build());
            state.get(GetRequest.newBuilder().setNamespace("p").setKey("k").build());
            // a NOT_FOUND series too
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> state.get(GetRequest.newBuilder().setNamespace("p").setKey("missing").build()))
                    .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND));
            ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel()).getServerInfo(GetServerInfoRequest.getDefaultInstance());
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("quantbot_grpc_server_calls_seconds_bucket").contains("quantbot_python_worker_spawns_total");
            Process check = new ProcessBuilder(promtool, "check", "metrics").redirectErrorStream(true).start();
            check.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
            check.getOutputStream().close();
            String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(check.exitValue()).as("promtool check metrics said:%n%s", output).isZero();
        }
    }
}
