package io.quantbot.storage.client;

import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A real Netty server on 127.0.0.1 with an ephemeral port, optionally TLS and a required token. */
final class LoopbackServer implements AutoCloseable {
    final FakeArtifactPort artifacts = new FakeArtifactPort();
    final FakeStatePort state = new FakeStatePort();
    private final Server server;

    LoopbackServer(ServerCredentials credentials, Optional<String> requiredToken) throws IOException {
        ServerInterceptor authentication = new ServerInterceptor() {
            @Override
            public <RequestT, ResponseT> ServerCall.Listener<RequestT> interceptCall(
                    ServerCall<RequestT, ResponseT> call, Metadata headers, ServerCallHandler<RequestT, ResponseT> next) {
                if (requiredToken.isPresent()
                        && !("Bearer " + requiredToken.get()).equals(headers.get(TestingServer.AUTHORIZATION))) {
                    call.close(Status.UNAUTHENTICATED.withDescription("missing or unknown bearer token"), new Metadata());
                    return new ServerCall.Listener<>() {};
                }
                return next.startCall(call, headers);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                .addService(ServerInterceptors.intercept(artifacts, authentication))
                .addService(ServerInterceptors.intercept(state, authentication))
                .build()
                .start();
    }

    static LoopbackServer plaintext() throws IOException {
        return new LoopbackServer(InsecureServerCredentials.create(), Optional.empty());
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
