package io.quantbot.storage.daemon.testing;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.util.Modules;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quantbot.storage.daemon.Main;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.server.GrpcServer;
import io.quantbot.storage.daemon.server.StorageDaemon;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Boots the production modules for a test: by default with an in-memory database, gRPC on a free
 * loopback port and, on the side, an in-process server with the same services and interceptors.
 * Tests talk to it through real stubs over either channel.
 */
public final class TestingStorageDaemon implements AutoCloseable {
    /** The venv the python-worker module builds; tests run from the storage-daemon folder. */
    public static final Path PYTHON = Path.of("..", "python-worker", ".venv", "bin", "python").toAbsolutePath().normalize();

    private final Injector injector;
    private final StorageDaemon daemon;
    private final Server inProcessServer;
    private final String inProcessName;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final Path dataDir;

    private TestingStorageDaemon(Builder builder) throws Exception {
        this.dataDir = builder.dataDir != null ? builder.dataDir : Files.createTempDirectory("quantbot-test-");
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("data-dir", dataDir.toString());
        flags.put("duckdb.path", builder.inMemory ? DatabaseConfig.IN_MEMORY : "");
        flags.put("grpc.port", "0");
        flags.put("http.port", "0");
        flags.put("shutdown.grace-period", "5s");
        flags.put("duckdb.threads", "2");
        // No Python workers unless a test asks for them (python-worker.pool-size); they take a second to start.
        flags.put("python-worker.pool-size", "0");
        flags.put("python-worker.python", PYTHON.toString());
        flags.putAll(builder.settings);
        ResolvedConfig config = ResolvedConfig.of(DaemonConfiguration.properties(), flags);
        List<Module> modules = new ArrayList<>(Main.modules(config));
        Module production = Modules.combine(modules);
        Module overrides = builder.overrides;
        if (builder.clock != null) {
            Clock clock = builder.clock;
            overrides = Modules.combine(overrides, new AbstractModule() {
                @Override
                protected void configure() {
                    bind(Clock.class).toInstance(clock);
                }
            });
        }
        this.injector = Guice.createInjector(Modules.override(production).with(overrides));
        this.daemon = injector.getInstance(StorageDaemon.class);
        daemon.start();
        this.inProcessName = InProcessServerBuilder.generateName();
        InProcessServerBuilder inProcess = InProcessServerBuilder.forName(inProcessName).directExecutor();
        for (ServerServiceDefinition definition : injector.getInstance(GrpcServer.class).definitions()) {
            inProcess.addService(definition);
        }
        this.inProcessServer = inProcess.build().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static TestingStorageDaemon start() throws Exception {
        return builder().build();
    }

    public <T> T getInstance(Class<T> type) {
        return injector.getInstance(type);
    }

    public Path dataDir() {
        return dataDir;
    }

    public int grpcPort() {
        return daemon.grpcPort();
    }

    public int httpPort() {
        return daemon.httpPort();
    }

    public StorageDaemon daemon() {
        return daemon;
    }

    /** A channel to the real Netty server over loopback TCP. */
    public ManagedChannel loopbackChannel() {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort()).usePlaintext().build();
        channels.add(channel);
        return channel;
    }

    /** A channel to the in-process server (same services and interceptors). */
    public ManagedChannel inProcessChannel() {
        ManagedChannel channel = InProcessChannelBuilder.forName(inProcessName).directExecutor().build();
        channels.add(channel);
        return channel;
    }

    public ManagedChannel channel(Transport transport) {
        return transport == Transport.LOOPBACK ? loopbackChannel() : inProcessChannel();
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        inProcessServer.shutdownNow();
        daemon.stop();
    }

    /** Removes the data dir (only for temp dirs the builder made). */
    public void deleteDataDir() {
        try (var paths = Files.walk(dataDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public enum Transport { IN_PROCESS, LOOPBACK }

    public static final class Builder {
        private boolean inMemory = true;
        private Path dataDir;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private Module overrides = Modules.EMPTY_MODULE;
        private Clock clock;

        public Builder onDisk(Path dir) {
            this.inMemory = false;
            this.dataDir = dir;
            return this;
        }

        public Builder set(String key, String value) {
            settings.put(key, value);
            return this;
        }

        public Builder clock(Clock value) {
            this.clock = value;
            return this;
        }

        public Builder override(Module module) {
            this.overrides = Modules.combine(overrides, module);
            return this;
        }

        public TestingStorageDaemon build() throws Exception {
            return new TestingStorageDaemon(this);
        }
    }

    /** Waits for a channel's calls to drain; for tests that check shutdown behaviour. */
    public static void awaitTermination(ManagedChannel channel) throws InterruptedException {
        channel.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }
}
