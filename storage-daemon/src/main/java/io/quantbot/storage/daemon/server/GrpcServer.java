package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.quantbot.storage.daemon.config.SecurityConfig;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.lifecycle.Managed;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC endpoint: the ports, grpc.health.v1 and server reflection, every call observed by the
 * interceptors. Handlers run on a bounded, named executor because DuckDB and worker calls block;
 * StatePort handlers never block (reads come from memory, writes complete asynchronously after their
 * commit), so they run on the transport thread. {@link LoadShedding} refuses new calls with
 * RESOURCE_EXHAUSTED while grpc.executor-queue calls wait for a handler thread.
 */
@Singleton
public final class GrpcServer implements Managed {
    private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);
    /** The executor's queue holds at most this many times grpc.executor-queue tasks (see start()). */
    private static final int CALLBACK_HEADROOM = 8;

    private final ServerConfig config;
    private final Set<BindableService> services;
    private final List<io.grpc.ServerInterceptor> interceptors;
    private final HealthStatusManager health;
    private final SecurityConfig security;
    private final LoadShedding shedding;
    private Server server;
    private ExecutorService executor;

    @Inject
    public GrpcServer(ServerConfig config, Set<BindableService> services, ServerInterceptorChain interceptors, HealthStatusManager health,
            SecurityConfig security, LoadShedding shedding) {
        this.config = requireNonNull(config, "config is null");
        this.services = requireNonNull(services, "services is null");
        this.interceptors = requireNonNull(interceptors, "interceptors is null").interceptors();
        this.health = requireNonNull(health, "health is null");
        this.security = requireNonNull(security, "security is null");
        this.shedding = requireNonNull(shedding, "shedding is null");
    }

    /** The services as the server exposes them, interceptors applied; also used by in-process test servers. */
    public List<ServerServiceDefinition> definitions() {
        List<ServerServiceDefinition> definitions = new ArrayList<>();
        for (BindableService service : services) {
            definitions.add(ServerInterceptors.intercept(ErrorDetailsReflection.withErrorDetails(service.bindService()), interceptors));
        }
        definitions.add(ServerInterceptors.intercept(health.getHealthService(), interceptors));
        definitions.add(ProtoReflectionServiceV1.newInstance().bindService());
        definitions.add(legacyReflection());
        return definitions;
    }

    @SuppressWarnings("deprecation")
    private static ServerServiceDefinition legacyReflection() {
        // v1alpha reflection: older grpcurl and Postman only speak this one.
        return ProtoReflectionService.newInstance().bindService();
    }

    @Override
    public synchronized void start() throws IOException {
        AtomicInteger threadNumber = new AtomicInteger();
        // New calls are admitted while fewer than grpc.executor-queue tasks wait (LoadShedding); the hard bound
        // leaves room for the callbacks (messages, half-close, cancel) of calls already admitted.
        ThreadPoolExecutor handlers = new ThreadPoolExecutor(config.executorThreads(), config.executorThreads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(config.executorQueue() * CALLBACK_HEADROOM),
                runnable -> {
                    Thread thread = new Thread(runnable, "grpc-handler-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        shedding.watch(handlers);
        executor = handlers;
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.grpcHost(), config.grpcPort()))
                // The method lookup and the admission decision run on the transport thread: with the pool as the
                // server's executor they would themselves wait in its queue, behind the calls they should shed.
                .directExecutor()
                .callExecutor(shedding::executorFor)
                .maxInboundMessageSize((int) config.maxInboundMessageSize())
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        if (security.tlsEnabled()) {
            SslContextBuilder tls = GrpcSslContexts.forServer(security.tlsCertFile().get().toFile(), security.tlsKeyFile().get().toFile());
            if (security.tlsClientCaFile().isPresent()) {
                tls.trustManager(security.tlsClientCaFile().get().toFile()).clientAuth(ClientAuth.REQUIRE);
            }
            builder.sslContext(tls.build());
        }
        for (ServerServiceDefinition definition : definitions()) {
            builder.addService(definition);
        }
        server = builder.build().start();
        log.info("gRPC listening on {}:{} ({}, {})", config.grpcHost(), server.getPort(),
                security.tlsEnabled() ? (security.tlsClientCaFile().isPresent() ? "mutual TLS" : "TLS") : "plaintext",
                security.authEnabled() ? "bearer-token auth" : "no auth: loopback only");
    }

    public int port() {
        return server.getPort();
    }

    /**
     * Stops accepting calls, lets in-flight calls finish within the grace period, then cancels what
     * is left.
     */
    @Override
    public void stop() throws InterruptedException {
        Server running;
        synchronized (this) {
            running = server;
        }
        if (running == null) {
            return;
        }
        Duration grace = config.shutdownGracePeriod();
        running.shutdown();
        if (!running.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("In-flight calls did not finish within {}; cancelling them", grace);
            running.shutdownNow();
            running.awaitTermination(5, TimeUnit.SECONDS);
        }
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        log.info("gRPC server stopped");
    }
}
