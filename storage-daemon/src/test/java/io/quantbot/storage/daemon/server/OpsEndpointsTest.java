package io.quantbot.storage.daemon.server;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.Reflection;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** grpc.health.v1 transitions, reflection, /metrics, /healthz, /readyz, GetServerInfo. */
class OpsEndpointsTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(TestingStorageDaemon daemon, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsServingWhenReadyAndNotServingWhenReadinessDropsOrShutdownBegins() throws Exception {
        TestingStorageDaemon daemon = TestingStorageDaemon.start();
        try {
            ManagedChannel channel = daemon.loopbackChannel();
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(StatePortGrpc.SERVICE_NAME).build()).getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(get(daemon, "/readyz").statusCode()).isEqualTo(200);

            List<HealthCheckResponse.ServingStatus> watched = new CopyOnWriteArrayList<>();
            HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                @Override
                public void onNext(HealthCheckResponse value) {
                    watched.add(value.getStatus());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
            });
            Await.until("the watch sees SERVING", Duration.ofSeconds(10), () -> watched.size() == 1);
            Readiness readiness = daemon.getInstance(Readiness.class);
            readiness.markNotReady("storage", "database invalidated; reopening");
            Await.until("the watch sees NOT_SERVING", Duration.ofSeconds(10), () -> watched.size() == 2);
            assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
            HttpResponse<String> notReady = get(daemon, "/readyz");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("storage: database invalidated; reopening");
            assertThat(get(daemon, "/healthz").statusCode()).isEqualTo(200);
            readiness.markReady("storage");
            assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            Await.until("the watch sees SERVING again", Duration.ofSeconds(10), () -> watched.size() == 3);

            // Shutdown: health goes NOT_SERVING before the server stops taking calls.
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> daemon.daemon().stop());
            Await.until("the watch sees NOT_SERVING at shutdown", Duration.ofSeconds(30), () -> watched.size() == 4);
            stopping.get(60, TimeUnit.SECONDS);
            assertThat(watched).containsSubsequence(
                    HealthCheckResponse.ServingStatus.SERVING, HealthCheckResponse.ServingStatus.NOT_SERVING,
                    HealthCheckResponse.ServingStatus.SERVING, HealthCheckResponse.ServingStatus.NOT_SERVING);
        } finally {
            daemon.close();
        }
    }

    @Test
    void metricsExposePerRpcSeriesGroupCommitAndJvm() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            var stub = StatePortGrpc.newBlockingStub(daemon.loopbackChannel());
            stub.set(SetRequest.newBuilder().setNamespace("m").setKey("k").setValue(Value.newBuilder().setJson("1")).build());
            stub.get(GetRequest.newBuilder().setNamespace("m").setKey("k").build());
            expectError(() -> stub.get(GetRequest.newBuilder().setNamespace("m").setKey("missing").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");

            HttpResponse<String> metrics = get(daemon, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
            String body = metrics.body();
            assertThat(body)
                    .contains("quantbot_grpc_server_calls_seconds_count{code=\"OK\",method=\"quantbot.storage.v1.StatePort/Set\"} 1")
                    .contains("quantbot_grpc_server_calls_seconds_count{code=\"OK\",method=\"quantbot.storage.v1.StatePort/Get\"} 1")
                    .contains("quantbot_grpc_server_calls_seconds_count{code=\"NOT_FOUND\",method=\"quantbot.storage.v1.StatePort/Get\"} 1")
                    .contains("quantbot_grpc_server_calls_seconds_bucket{code=\"OK\",method=\"quantbot.storage.v1.StatePort/Set\",le=\"0.001\"}")
                    .contains("quantbot_group_commit_batch_size_requests_count")
                    .contains("quantbot_group_commit_commit_seconds_count")
                    .contains("quantbot_group_commit_queue_depth")
                    .contains("quantbot_duckdb_wal_size_bytes")
                    .contains("quantbot_state_keys")
                    .contains("jvm_memory_used_bytes")
                    .contains("# HELP quantbot_grpc_server_calls_seconds");
            // Few fixed buckets, not Micrometer's hundreds of percentile-histogram buckets.
            long buckets = body.lines().filter(line -> line.startsWith("quantbot_grpc_server_calls_seconds_bucket{code=\"OK\",method=\"quantbot.storage.v1.StatePort/Set\"")).count();
            assertThat(buckets).isBetween(5L, 20L);
            assertThat(get(daemon, "/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void reflectionListsThePorts() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            List<String> services = Reflection.ask(daemon.loopbackChannel(), ServerReflectionRequest.newBuilder().setListServices("*").build())
                    .getListServicesResponse().getServiceList().stream().map(service -> service.getName()).toList();
            assertThat(services).contains(StatePortGrpc.SERVICE_NAME, ArtifactPortGrpc.SERVICE_NAME, "grpc.health.v1.Health");
            assertThat(services).noneMatch(name -> name.contains("worker"));
        }
    }

    @Test
    void serverInfoAndUnimplementedRpcsNameWhatIsMissing() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            var artifacts = ArtifactPortGrpc.newBlockingStub(daemon.inProcessChannel());
            ServerInfo info = artifacts.getServerInfo(GetServerInfoRequest.getDefaultInstance());
            assertThat(info.getDuckdbVersion()).startsWith("v1.5.6");
            assertThat(info.getSchemaVersion()).isPositive();
            assertThat(info.getDataDir()).isEqualTo(daemon.dataDir().toAbsolutePath().normalize().toString());
            assertThat(info.getStartedAtMs()).isPositive();
            assertThat(info.getJavaVersion()).isNotBlank();
        }
    }
}
