package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quantbot.storage.daemon.config.LoggingConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Observes every call: gives it a request id (the client's x-request-id or a new one, echoed in the
 * response headers, or in the trailers of a call that fails before it sent headers: a trailers-only
 * response), sets the id and method in the logging MDC around every callback (grpc-java runs
 * callbacks on different threads), records the per-RPC latency histogram by method and code, and
 * writes the access log line. A call the client cancels (or whose deadline passes) before the server
 * closed it is recorded once too, as CANCELLED, after the service's cancel handling ran.
 */
@Singleton
public final class CallObservingInterceptor implements ServerInterceptor {
    private static final Logger access = LoggerFactory.getLogger("quantbot.access");
    private static final int MAX_REQUEST_ID_LENGTH = 128;

    private final MeterRegistry registry;
    private final LoggingConfig logging;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    @Inject
    public CallObservingInterceptor(MeterRegistry registry, LoggingConfig logging) {
        this.registry = requireNonNull(registry, "registry is null");
        this.logging = requireNonNull(logging, "logging is null");
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        String requestId = requestId(headers);
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        long start = System.nanoTime();
        AtomicBoolean recorded = new AtomicBoolean();
        ServerCall<ReqT, RespT> observed = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            private volatile boolean headersSent;

            @Override
            public void sendHeaders(Metadata responseHeaders) {
                headersSent = true;
                responseHeaders.put(RequestContext.REQUEST_ID_HEADER, requestId);
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (!headersSent && !trailers.containsKey(RequestContext.REQUEST_ID_HEADER)) {
                    trailers.put(RequestContext.REQUEST_ID_HEADER, requestId);
                }
                if (recorded.compareAndSet(false, true)) {
                    long elapsed = System.nanoTime() - start;
                    timer(method, status.getCode()).record(elapsed, TimeUnit.NANOSECONDS);
                    accessLog(method, status, elapsed, peer, requestId);
                }
                super.close(status, trailers);
            }
        };
        Context context = Context.current().withValue(RequestContext.REQUEST_ID, requestId);
        ServerCall.Listener<ReqT> listener;
        try (MdcScope ignored = MdcScope.of(requestId, method)) {
            listener = Contexts.interceptCall(context, observed, headers, next);
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(ReqT message) {
                try (MdcScope ignored = MdcScope.of(requestId, method)) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                try (MdcScope ignored = MdcScope.of(requestId, method)) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                try (MdcScope ignored = MdcScope.of(requestId, method)) {
                    super.onCancel();
                    if (recorded.compareAndSet(false, true)) {
                        long elapsed = System.nanoTime() - start;
                        timer(method, Status.Code.CANCELLED).record(elapsed, TimeUnit.NANOSECONDS);
                        accessLog(method, Status.CANCELLED.withDescription("cancelled by the client or its deadline"), elapsed, peer, requestId);
                    }
                }
            }

            @Override
            public void onComplete() {
                try (MdcScope ignored = MdcScope.of(requestId, method)) {
                    super.onComplete();
                }
            }

            @Override
            public void onReady() {
                try (MdcScope ignored = MdcScope.of(requestId, method)) {
                    super.onReady();
                }
            }
        };
    }

    private Timer timer(String method, Status.Code code) {
        return timers.computeIfAbsent(method + "|" + code.name(), ignored -> Timer.builder("quantbot.grpc.server.calls")
                .description("gRPC calls handled, by method and status code, with their latency")
                .tag("method", method)
                .tag("code", code.name())
                .serviceLevelObjectives(
                        Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
                        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
                        Duration.ofMillis(250), Duration.ofMillis(1000), Duration.ofMillis(5000), Duration.ofSeconds(30))
                .register(registry));
    }

    private void accessLog(String method, Status status, long elapsedNanos, SocketAddress peer, String requestId) {
        LoggingConfig.AccessLog mode = logging.accessLog();
        boolean slow = elapsedNanos > logging.slowCallThreshold().toNanos();
        boolean failed = !status.isOk();
        if (mode == LoggingConfig.AccessLog.OFF || (mode == LoggingConfig.AccessLog.ERRORS && !failed && !slow)) {
            return;
        }
        try (MdcScope ignored = MdcScope.of(requestId, method)) {
            access.info("method={} status={} duration_ms={} peer={} request_id={}{}",
                    method, status.getCode(), String.format("%.3f", elapsedNanos / 1e6), peer, requestId,
                    failed && status.getDescription() != null ? " error=\"" + status.getDescription().replace('"', '\'') + "\"" : "");
        }
    }

    private static String requestId(Metadata headers) {
        String given = headers.get(RequestContext.REQUEST_ID_HEADER);
        if (given != null && !given.isEmpty() && given.length() <= MAX_REQUEST_ID_LENGTH && given.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return given;
        }
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /** Sets the MDC for the duration of one callback and restores what the thread had before. */
    private static final class MdcScope implements AutoCloseable {
        private final String previousId;
        private final String previousMethod;

        private MdcScope(String requestId, String method) {
            previousId = MDC.get(RequestContext.MDC_REQUEST_ID);
            previousMethod = MDC.get(RequestContext.MDC_METHOD);
            MDC.put(RequestContext.MDC_REQUEST_ID, requestId);
            MDC.put(RequestContext.MDC_METHOD, method);
        }

        static MdcScope of(String requestId, String method) {
            return new MdcScope(requestId, method);
        }

        @Override
        public void close() {
            restore(RequestContext.MDC_REQUEST_ID, previousId);
            restore(RequestContext.MDC_METHOD, previousMethod);
        }

        private static void restore(String key, String value) {
            if (value == null) {
                MDC.remove(key);
            } else {
                MDC.put(key, value);
            }
        }
    }
}
