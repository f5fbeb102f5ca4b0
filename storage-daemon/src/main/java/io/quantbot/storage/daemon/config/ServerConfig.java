package io.quantbot.storage.daemon.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Network endpoints and request handling. */
public record ServerConfig(
        String grpcHost,
        int grpcPort,
        long maxInboundMessageSize,
        int executorThreads,
        int executorQueue,
        String httpHost,
        int httpPort,
        Duration shutdownGracePeriod) {

    public static final ConfigProperty<String> GRPC_HOST = ConfigProperty.of(
            "grpc.host", "127.0.0.1", "Address the gRPC server binds to.", String::trim);
    public static final ConfigProperty<Integer> GRPC_PORT = ConfigProperty.of(
            "grpc.port", "50051", "gRPC port (0 = any free port).", ConfigValueParsers::parsePort);
    public static final ConfigProperty<Long> GRPC_MAX_INBOUND_MESSAGE_SIZE = ConfigProperty.of(
            "grpc.max-inbound-message-size", "16MiB", "Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED.",
            ConfigValueParsers::parseSize);
    public static final ConfigProperty<Integer> GRPC_EXECUTOR_THREADS = ConfigProperty.of(
            "grpc.executor-threads", "16", "Threads of the bounded executor that runs RPC handlers (reads and queueing; writes complete asynchronously).",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> GRPC_EXECUTOR_QUEUE = ConfigProperty.of(
            "grpc.executor-queue", "256",
            "Calls that may wait for a free handler thread (grpc.executor-threads); past it new calls fail fast with RESOURCE_EXHAUSTED"
                    + " (reason QUEUE_FULL, a retry hint) and quantbot_grpc_shed_total counts them. StatePort calls never wait for it.",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<String> HTTP_HOST = ConfigProperty.of(
            "http.host", "127.0.0.1", "Address of the HTTP ops endpoint (/metrics, /healthz, /readyz).", String::trim);
    public static final ConfigProperty<Integer> HTTP_PORT = ConfigProperty.of(
            "http.port", "9464", "HTTP ops port (0 = any free port).", ConfigValueParsers::parsePort);
    public static final ConfigProperty<Duration> SHUTDOWN_GRACE_PERIOD = ConfigProperty.of(
            "shutdown.grace-period", "30s", "On SIGTERM, how long in-flight calls may take to finish before they are cancelled.",
            ConfigValueParsers::parseDuration);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(
            GRPC_HOST, GRPC_PORT, GRPC_MAX_INBOUND_MESSAGE_SIZE, GRPC_EXECUTOR_THREADS, GRPC_EXECUTOR_QUEUE, HTTP_HOST, HTTP_PORT, SHUTDOWN_GRACE_PERIOD);

    public static ServerConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new ServerConfig(
                config.get(GRPC_HOST),
                config.get(GRPC_PORT),
                config.get(GRPC_MAX_INBOUND_MESSAGE_SIZE),
                config.get(GRPC_EXECUTOR_THREADS),
                config.get(GRPC_EXECUTOR_QUEUE),
                config.get(HTTP_HOST),
                config.get(HTTP_PORT),
                config.get(SHUTDOWN_GRACE_PERIOD));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        long maxMessage = config.get(GRPC_MAX_INBOUND_MESSAGE_SIZE);
        if (maxMessage < 1 || maxMessage > Integer.MAX_VALUE) {
            problems.add(GRPC_MAX_INBOUND_MESSAGE_SIZE.key() + " must be between 1 byte and 2GiB, got " + config.value(GRPC_MAX_INBOUND_MESSAGE_SIZE.key()).value());
        }
        ConfigChecks.atLeast(problems, config, GRPC_EXECUTOR_THREADS, 1);
        ConfigChecks.atLeast(problems, config, GRPC_EXECUTOR_QUEUE, 1);
        ConfigChecks.notBlank(problems, config, GRPC_HOST);
        ConfigChecks.notBlank(problems, config, HTTP_HOST);
        if (config.get(GRPC_PORT) != 0 && config.get(GRPC_PORT).equals(config.get(HTTP_PORT))
                && config.get(GRPC_HOST).equals(config.get(HTTP_HOST))) {
            problems.add(GRPC_PORT.key() + " and " + HTTP_PORT.key() + " are both " + config.get(GRPC_PORT) + ": the gRPC and the HTTP ops endpoint need a port each");
        }
        return problems;
    }
}
