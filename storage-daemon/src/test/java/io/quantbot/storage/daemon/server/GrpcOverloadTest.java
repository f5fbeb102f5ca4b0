package io.quantbot.storage.daemon.server;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static io.quantbot.storage.daemon.testing.GrpcErrors.retryInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.config.SecurityConfig;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.GetArtifactRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The handler executor under overload, filled deterministically: one handler thread held by a call
 * that blocks until the test lets it go, one call waiting in the queue (grpc.executor-queue=1), and the
 * next call is refused at once instead of queueing without bound.
 */
class GrpcOverloadTest {
    private static final GetArtifactRequest REQUEST = GetArtifactRequest.newBuilder().setArtifactId("a-1").build();

    @Test
    void pastTheExecutorQueueNewCallsAreRefusedWithResourceExhaustedAndAdmittedAgainAfterwards() throws Exception {
        ResolvedConfig resolved = ResolvedConfig.of(DaemonConfiguration.properties(),
                Map.of("grpc.port", "0", "grpc.executor-threads", "1", "grpc.executor-queue", "1"));
        ServerConfig config = ServerConfig.from(resolved);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LoadShedding shedding = new LoadShedding(config, registry);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        BindableService blocking = new ArtifactPortGrpc.ArtifactPortImplBase() {
            @Override
            public void getArtifact(GetArtifactRequest request, StreamObserver<Artifact> response) {
                started.incrementAndGet();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                response.onError(Status.NOT_FOUND.withDescription("no artifact " + request.getArtifactId()).asRuntimeException());
            }
        };
        GrpcServer server = new GrpcServer(config, Set.of(blocking), new ServerInterceptorChain(List.of(shedding)), new HealthStatusManager(),
                SecurityConfig.from(resolved), shedding);
        server.start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            ArtifactPortGrpc.ArtifactPortFutureStub async = ArtifactPortGrpc.newFutureStub(channel);
            ArtifactPortGrpc.ArtifactPortBlockingStub blockingStub = ArtifactPortGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(30, TimeUnit.SECONDS);
            Future<Artifact> holding = async.getArtifact(REQUEST);
            Await.until("the first call to hold the only handler thread", Duration.ofSeconds(30), () -> started.get() == 1);
            Future<Artifact> waiting = async.getArtifact(REQUEST);
            Await.until("the second call to wait for the handler thread", Duration.ofSeconds(30),
                    () -> registry.get("quantbot.grpc.executor_queue_depth").gauge().value() == 1);

            StatusRuntimeException refused = expectError(() -> blockingStub.getArtifact(REQUEST), Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
            assertThat(refused.getStatus().getDescription())
                    .contains("all 1 handler threads are busy and 1 calls wait for one (grpc.executor-queue)");
            assertThat(retryInfo(refused)).isPresent();
            assertThat(registry.get("quantbot.grpc.shed").counter().count()).isEqualTo(1);
            assertThat(started.get()).as("the refused call never reached its handler").isEqualTo(1);

            release.countDown();
            assertThat(notFound(holding)).isTrue();
            assertThat(notFound(waiting)).isTrue();
            // The overload is over: calls are admitted again. The answers above can reach the client before their
            // calls' last callbacks have left the handler queue (a callback waiting there counts as waiting), so the
            // next call goes once the queue is empty.
            Await.until("the handler queue to drain", Duration.ofSeconds(30),
                    () -> registry.get("quantbot.grpc.executor_queue_depth").gauge().value() == 0);
            StatusRuntimeException answered = catchThrowableOfType(StatusRuntimeException.class, () -> blockingStub.getArtifact(REQUEST));
            assertThat(answered.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(started.get()).isEqualTo(3);
            assertThat(registry.get("quantbot.grpc.shed").counter().count()).isEqualTo(1);
        } finally {
            release.countDown();
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    @Test
    void aClientCannotMarkItsOwnCallForRefusal() throws Exception {
        ResolvedConfig resolved = ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("grpc.port", "0"));
        ServerConfig config = ServerConfig.from(resolved);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LoadShedding shedding = new LoadShedding(config, registry);
        BindableService answering = new ArtifactPortGrpc.ArtifactPortImplBase() {
            @Override
            public void getArtifact(GetArtifactRequest request, StreamObserver<Artifact> response) {
                response.onNext(Artifact.newBuilder().setId(request.getArtifactId()).build());
                response.onCompleted();
            }
        };
        GrpcServer server = new GrpcServer(config, Set.of(answering), new ServerInterceptorChain(List.of(shedding)), new HealthStatusManager(),
                SecurityConfig.from(resolved), shedding);
        server.start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            io.grpc.Metadata forged = new io.grpc.Metadata();
            forged.put(io.grpc.Metadata.Key.of("quantbot-internal-shed", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "999");
            Artifact artifact = ArtifactPortGrpc.newBlockingStub(channel)
                    .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(forged))
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getArtifact(REQUEST);
            assertThat(artifact.getId()).isEqualTo("a-1");
            assertThat(registry.get("quantbot.grpc.shed").counter().count()).isZero();
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            server.stop();
        }
    }

    private static boolean notFound(Future<Artifact> call) throws Exception {
        try {
            call.get(30, TimeUnit.SECONDS);
            return false;
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause()).getCode() == Status.Code.NOT_FOUND;
        }
    }
}
