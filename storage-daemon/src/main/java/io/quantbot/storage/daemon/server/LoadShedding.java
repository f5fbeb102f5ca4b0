package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.grpc.StatusMapper;
import io.quantbot.storage.v1.StatePortGrpc;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * Admission of calls to the handler executor. When grpc.executor-queue calls already wait for a handler
 * thread, a new call is refused at once with RESOURCE_EXHAUSTED (ErrorInfo reason QUEUE_FULL, a retry
 * hint), counted by quantbot_grpc_shed_total, instead of waiting behind an ever longer queue. The
 * decision is made when the call arrives ({@link #executorFor}, grpc's call-executor hook) and carried out
 * by this interceptor on the transport thread, so a refusal never needs a handler thread. StatePort calls
 * never wait for the executor (they run on the transport thread) and are never shed here.
 */
@Singleton
public final class LoadShedding implements ServerInterceptor {
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** Set by {@link #executorFor} on a call to refuse; a value sent by a client is discarded first. */
    private static final Metadata.Key<String> SHED = Metadata.Key.of("quantbot-internal-shed", Metadata.ASCII_STRING_MARSHALLER);

    private final ServerConfig config;
    private final Counter shed;
    private volatile ThreadPoolExecutor executor;

    @Inject
    public LoadShedding(ServerConfig config, MeterRegistry registry) {
        this.config = requireNonNull(config, "config is null");
        requireNonNull(registry, "registry is null");
        this.shed = Counter.builder("quantbot.grpc.shed")
                .description("Calls refused with RESOURCE_EXHAUSTED because grpc.executor-queue calls already waited for a handler thread")
                .register(registry);
        Gauge.builder("quantbot.grpc.executor_queue_depth", this, LoadShedding::queueDepth)
                .description("Calls and callbacks waiting for a gRPC handler thread")
                .register(registry);
    }

    /** The executor whose queue is watched (the server's, set when it starts). */
    void watch(ThreadPoolExecutor handlers) {
        this.executor = requireNonNull(handlers, "handlers is null");
    }

    /**
     * grpc's call-executor hook, consulted on the transport thread (the server's own executor is direct):
     * StatePort calls run on the transport thread; a call that would wait behind grpc.executor-queue others
     * is marked to be refused (on the transport thread too); the rest go to the handler executor.
     */
    Executor executorFor(ServerCall<?, ?> call, Metadata headers) {
        headers.discardAll(SHED);
        if (StatePortGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            return Runnable::run;
        }
        int waiting = queueDepth();
        if (waiting >= config.executorQueue()) {
            headers.put(SHED, Integer.toString(waiting));
            return Runnable::run;
        }
        ThreadPoolExecutor handlers = executor;
        if (handlers == null) {
            throw new IllegalStateException("no handler executor to admit calls to (watch() first)");
        }
        return handlers;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        String waiting = headers.get(SHED);
        if (waiting == null) {
            return next.startCall(call, headers);
        }
        shed.increment();
        StatusRuntimeException refusal = StatusMapper.toStatusException(StorageException.builder(ErrorCode.QUEUE_FULL,
                        "the daemon is overloaded: all " + config.executorThreads() + " handler threads are busy and " + waiting
                                + " calls wait for one (grpc.executor-queue); retry after a short pause")
                .retryAfter(RETRY_AFTER)
                .metadata("queue", "grpc-executor")
                .build());
        call.close(refusal.getStatus(), refusal.getTrailers() == null ? new Metadata() : refusal.getTrailers());
        return new ServerCall.Listener<>() {};
    }

    private int queueDepth() {
        ThreadPoolExecutor handlers = executor;
        return handlers == null ? 0 : handlers.getQueue().size();
    }
}
