package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.StatePortGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of the Java client of quantbot-storage.
 *
 * <pre>{@code
 * try (QuantbotStorageClient client = QuantbotStorageClient.builder()
 *         .target("127.0.0.1:50051")
 *         .bearerTokenFile(Path.of("/run/secrets/quantbot-token"))
 *         .build()) {
 *     long version = client.state().setJson("ohlcv_ingestion", "So11...:2024-05-01:1m", "{\"done\":true}");
 *     Optional<StateEntry> entry = client.state().get("ohlcv_ingestion", "So11...:2024-05-01:1m");
 * }
 * }</pre>
 *
 * <p>Every call made through the client, including through the generated stubs it hands out, gets
 * a deadline (the default one, or the coarse one for the worker-pool operations, FinishRun and the
 * streams), the bearer token if one is configured, and the inbound message limit. The typed clients
 * ({@link #state()}, {@link #artifacts()}) add typed exceptions and retries for idempotent calls.
 *
 * <p>With {@link Builder#target} or {@link Builder#forAddress} the client creates its channel and
 * {@link #close()} shuts it down; with {@link Builder#channel} the caller owns the channel and
 * {@code close()} leaves it alone. Thread-safe.
 */
public final class QuantbotStorageClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuantbotStorageClient.class);

    private final Optional<ManagedChannel> ownedChannel;
    private final Channel channel;
    private final Duration shutdownTimeout;
    private final StateClient stateClient;
    private final ArtifactClient artifactClient;

    private QuantbotStorageClient(
            Optional<ManagedChannel> ownedChannel,
            Channel channel,
            Duration shutdownTimeout,
            UnaryCaller caller) {
        this.ownedChannel = requireNonNull(ownedChannel, "ownedChannel is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.shutdownTimeout = requireNonNull(shutdownTimeout, "shutdownTimeout is null");
        requireNonNull(caller, "caller is null");
        this.stateClient = new StateClient(caller);
        this.artifactClient = new ArtifactClient(caller);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** StatePort: namespaced key/value state. */
    public StateClient state() {
        return stateClient;
    }

    /** ArtifactPort: catalog, runs, candles, coarse operations, server info. */
    public ArtifactClient artifacts() {
        return artifactClient;
    }

    /**
     * The channel with the client's call defaults (deadline, token, message limit), for building
     * other stubs. Calls made on it are not retried by the client.
     */
    public Channel channel() {
        return channel;
    }

    /** The generated blocking StatePort stub, with the client's call defaults (no retries). */
    public StatePortGrpc.StatePortBlockingStub stateStub() {
        return StatePortGrpc.newBlockingStub(channel);
    }

    /** The generated async StatePort stub, with the client's call defaults (no retries). */
    public StatePortGrpc.StatePortStub stateAsyncStub() {
        return StatePortGrpc.newStub(channel);
    }

    /** The generated blocking ArtifactPort stub, with the client's call defaults (no retries). */
    public ArtifactPortGrpc.ArtifactPortBlockingStub artifactStub() {
        return ArtifactPortGrpc.newBlockingStub(channel);
    }

    /** The generated async ArtifactPort stub, with the client's call defaults (no retries). */
    public ArtifactPortGrpc.ArtifactPortStub artifactAsyncStub() {
        return ArtifactPortGrpc.newStub(channel);
    }

    /** The channel this client created, if it created one (package-private for tests). */
    Optional<ManagedChannel> ownedChannel() {
        return ownedChannel;
    }

    /**
     * Shuts down the channel the client created (waiting up to the shutdown timeout for calls in
     * flight, then cancelling them). A channel passed to {@link Builder#channel} is left open.
     */
    @Override
    public void close() {
        if (ownedChannel.isEmpty()) {
            return;
        }
        ManagedChannel managedChannel = ownedChannel.get();
        managedChannel.shutdown();
        try {
            if (!managedChannel.awaitTermination(shutdownTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                log.warn("Channel did not terminate within {}; cancelling the calls still in flight", shutdownTimeout);
                managedChannel.shutdownNow();
            }
        }
        catch (InterruptedException interrupted) {
            managedChannel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Configures a {@link QuantbotStorageClient}. Not thread-safe. */
    public static final class Builder {
        /** gRPC's default of 4 MiB is too small for batch candle reads and query results. */
        static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 64 * 1024 * 1024;

        private Optional<String> target = Optional.empty();
        private Optional<Channel> callerChannel = Optional.empty();
        private Duration defaultDeadline = Duration.ofSeconds(30);
        private Duration coarseDeadline = Duration.ofMinutes(10);
        private Duration shutdownTimeout = Duration.ofSeconds(5);
        private RetryPolicy retryPolicy = RetryPolicy.defaultPolicy();
        private Optional<CallCredentials> bearerToken = Optional.empty();
        private Optional<Path> trustCertificate = Optional.empty();
        private Optional<String> authorityOverride = Optional.empty();
        private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
        private Sleeper sleeper = Sleeper.SYSTEM;
        private io.grpc.Deadline.Ticker ticker = io.grpc.Deadline.getSystemTicker();

        private Builder() {}

        /** A gRPC target such as {@code "127.0.0.1:50051"} or {@code "dns:///storage:50051"}; the client owns the channel. */
        public Builder target(String target) {
            requireNonNull(target, "target is null");
            if (target.isBlank()) {
                throw new IllegalArgumentException("target is blank");
            }
            this.target = Optional.of(target);
            return this;
        }

        /** Host and port of the daemon; the client owns the channel. */
        public Builder forAddress(String host, int port) {
            requireNonNull(host, "host is null");
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
            return target(hostPart + ":" + port);
        }

        /** A channel the caller created and keeps owning: {@link #close()} does not shut it down. */
        public Builder channel(Channel channel) {
            this.callerChannel = Optional.of(requireNonNull(channel, "channel is null"));
            return this;
        }

        /** Overall deadline of hot-path calls, retries included (default 30 s). */
        public Builder defaultDeadline(Duration deadline) {
            this.defaultDeadline = positive(deadline, "defaultDeadline");
            return this;
        }

        /**
         * Deadline of the coarse calls (ImportSnapshot, PublishArtifact, Query, AnalyzeSweep,
         * GenerateFeatures, GenerateReport, FinishRun) and of AppendRunRows streams (default 10 min).
         */
        public Builder coarseDeadline(Duration deadline) {
            this.coarseDeadline = positive(deadline, "coarseDeadline");
            return this;
        }

        /** Retries of idempotent calls (default: 4 attempts, 50 ms doubling to 2 s). */
        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = requireNonNull(retryPolicy, "retryPolicy is null");
            return this;
        }

        /** Sends {@code authorization: Bearer <token>} with every call. */
        public Builder bearerToken(String token) {
            this.bearerToken = Optional.of(new BearerTokenCredentials(token));
            return this;
        }

        /** Reads the bearer token from a file (surrounding whitespace ignored), once, now; an empty file is an error. */
        public Builder bearerTokenFile(Path tokenFile) {
            requireNonNull(tokenFile, "tokenFile is null");
            String token;
            try {
                token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            }
            catch (IOException failure) {
                throw new UncheckedIOException("cannot read the bearer token file " + tokenFile, failure);
            }
            if (token.isEmpty()) {
                throw new IllegalArgumentException("the bearer token file " + tokenFile + " is empty");
            }
            return bearerToken(token);
        }

        /** Connects with TLS, trusting the CA certificate(s) in this PEM file. Only for an owned channel. */
        public Builder tls(Path trustCertificatePem) {
            this.trustCertificate = Optional.of(requireNonNull(trustCertificatePem, "trustCertificatePem is null"));
            return this;
        }

        /**
         * Checks the daemon's TLS certificate against this host name instead of the target's (and
         * sends it as the {@code :authority}). Only for an owned channel.
         */
        public Builder overrideAuthority(String authority) {
            this.authorityOverride = Optional.of(requireNonNull(authority, "authority is null"));
            return this;
        }

        /** Largest response message accepted (default 64 MiB). */
        public Builder maxInboundMessageSize(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxInboundMessageSize must be positive: " + bytes);
            }
            this.maxInboundMessageSize = bytes;
            return this;
        }

        /** How long {@link #close()} waits for calls in flight on an owned channel (default 5 s). */
        public Builder shutdownTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout is negative: " + timeout);
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /** Replaces the wait between retries (tests record the waits instead of sleeping). */
        Builder sleeper(Sleeper sleeper) {
            this.sleeper = requireNonNull(sleeper, "sleeper is null");
            return this;
        }

        /** Replaces the clock that call deadlines count on (tests move it with their sleeper instead of waiting). */
        Builder ticker(io.grpc.Deadline.Ticker ticker) {
            this.ticker = requireNonNull(ticker, "ticker is null");
            return this;
        }

        public QuantbotStorageClient build() {
            if (target.isPresent() == callerChannel.isPresent()) {
                throw new IllegalStateException("set exactly one of target/forAddress and channel");
            }
            if (callerChannel.isPresent() && (trustCertificate.isPresent() || authorityOverride.isPresent())) {
                throw new IllegalStateException("tls and overrideAuthority configure an owned channel; "
                        + "configure them on the channel passed to channel() instead");
            }
            Optional<ManagedChannel> ownedChannel = target.map(this::createChannel);
            Channel baseChannel = ownedChannel.<Channel>map(managed -> managed).orElseGet(callerChannel::orElseThrow);
            CallPolicies policies = new CallPolicies(defaultDeadline, coarseDeadline);
                        Channel channel = ClientInterceptors.intercept(
                    baseChannel, new CallDefaultsInterceptor(policies, bearerToken, maxInboundMessageSize));
            UnaryCaller caller = new UnaryCaller(channel, policies, retryPolicy, sleeper, ticker);
            return new QuantbotStorageClient(ownedChannel, channel, shutdownTimeout, caller);
        }

        private ManagedChannel createChannel(String channelTarget) {
            ChannelCredentials credentials = trustCertificate.map(Builder::tlsCredentials)
                    .orElseGet(InsecureChannelCredentials::create);
            ManagedChannelBuilder<?> channelBuilder = Grpc.newChannelBuilder(channelTarget, credentials)
                    .maxInboundMessageSize(maxInboundMessageSize);
            authorityOverride.ifPresent(channelBuilder::overrideAuthority);
            log.debug("Connecting to {} ({})", channelTarget, trustCertificate.isPresent() ? "TLS" : "plaintext");
            return channelBuilder.build();
        }

        private static ChannelCredentials tlsCredentials(Path trustCertificatePem) {
            try {
                return TlsChannelCredentials.newBuilder().trustManager(trustCertificatePem.toFile()).build();
            }
            catch (IOException failure) {
                throw new UncheckedIOException("cannot read the TLS trust certificate " + trustCertificatePem, failure);
            }
        }

        private static Duration positive(Duration duration, String name) {
            requireNonNull(duration, name + " is null");
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + duration);
            }
            return duration;
        }
    }
}
