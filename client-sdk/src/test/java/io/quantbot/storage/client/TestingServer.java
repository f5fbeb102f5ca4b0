package io.quantbot.storage.client;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An in-process server with the two fakes and an interceptor that records, per method, the
 * {@code authorization} header and the deadline the call arrived with.
 */
final class TestingServer implements AutoCloseable {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    final FakeStatePort state = new FakeStatePort();
    final FakeArtifactPort artifacts = new FakeArtifactPort();
    /** Method name (e.g. "Get") → the authorization header of its last call ("" if absent). */
    final Map<String, String> authorizationByMethod = new ConcurrentHashMap<>();
    /** Method name → the time left until the deadline when its last call arrived. */
    final Map<String, Duration> deadlineByMethod = new ConcurrentHashMap<>();

    private final String name = InProcessServerBuilder.generateName();
    private final Server server;
    private final ManagedChannel channel;

    TestingServer() throws IOException {
        ServerInterceptor recorder = new ServerInterceptor() {
            @Override
            public <RequestT, ResponseT> ServerCall.Listener<RequestT> interceptCall(
                    ServerCall<RequestT, ResponseT> call, Metadata headers, ServerCallHandler<RequestT, ResponseT> next) {
                String method = call.getMethodDescriptor().getBareMethodName();
                authorizationByMethod.put(method, Optional.ofNullable(headers.get(AUTHORIZATION)).orElse(""));
                Deadline deadline = Context.current().getDeadline();
                if (deadline != null) {
                    deadlineByMethod.put(method, Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
                }
                return Contexts.interceptCall(Context.current(), call, headers, next);
            }
        };
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(state, recorder))
                .addService(ServerInterceptors.intercept(artifacts, recorder))
                .build()
                .start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    /** The channel the tests own; clients built on it must not close it. */
    ManagedChannel channel() {
        return channel;
    }

    /** A client builder on the in-process channel, retries waiting for real. */
    QuantbotStorageClient.Builder clientBuilder() {
        return QuantbotStorageClient.builder().channel(channel);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
