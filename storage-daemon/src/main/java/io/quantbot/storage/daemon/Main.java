package io.quantbot.storage.daemon;

import com.google.inject.Module;
import io.quantbot.storage.daemon.cli.DaemonCommand;
import io.quantbot.storage.daemon.config.ConfigModule;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.grpc.GrpcModule;
import io.quantbot.storage.daemon.metrics.MetricsModule;
import io.quantbot.storage.daemon.server.ServerModule;
import io.quantbot.storage.daemon.config.StorageConfig;
import io.quantbot.storage.daemon.storage.StorageModule;
import java.util.List;

/** The daemon's entry point: the command line, and the list of modules that make up the daemon. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(DaemonCommand.run(args));
    }

    public static List<Module> modules(ResolvedConfig config) {
        return List.of(
                new ConfigModule(config),
                new MetricsModule(),
                new StorageModule(StorageConfig.from(config).mode()),
                new GrpcModule(),
                new ServerModule());
    }
}
