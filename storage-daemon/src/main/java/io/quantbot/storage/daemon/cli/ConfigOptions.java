package io.quantbot.storage.daemon.cli;

import io.quantbot.storage.daemon.config.ConfigProperty;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The configuration flags every daemon command takes. Precedence: flag > environment > file > default. */
public final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (Java properties: key = value). Also QUANTBOT_CONFIG. Flags and environment variables override it.")
    Path configFile;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Set any configuration key, e.g. --set state.max-value-size=4MiB. Repeatable. See 'config print' for the keys.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Same as --set data-dir=DIR (default ./data).")
    String dataDir;

    @Option(names = "--grpc-host", paramLabel = "HOST", description = "Same as --set grpc.host=HOST (default 127.0.0.1).")
    String grpcHost;

    @Option(names = "--grpc-port", paramLabel = "PORT", description = "Same as --set grpc.port=PORT (default 50051).")
    String grpcPort;

    @Option(names = "--http-host", paramLabel = "HOST", description = "Same as --set http.host=HOST (default 127.0.0.1).")
    String httpHost;

    @Option(names = "--http-port", paramLabel = "PORT", description = "Same as --set http.port=PORT (default 9464).")
    String httpPort;

    @Option(names = "--log-format", paramLabel = "text|json", description = "Same as --set log.format=... (default text).")
    String logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "Same as --set log.level=... (default info).")
    String logLevel;

    ResolvedConfig resolve(Map<String, String> environment) {
        return ResolvedConfig.resolve(properties(), file(environment), environment, flags());
    }

    Optional<Path> file(Map<String, String> environment) {
        if (configFile != null) {
            return Optional.of(configFile);
        }
        String fromEnvironment = environment.get("QUANTBOT_CONFIG");
        return fromEnvironment == null || fromEnvironment.isBlank() ? Optional.empty() : Optional.of(Path.of(fromEnvironment));
    }

    Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>(settings);
        putIfSet(flags, "data-dir", dataDir);
        putIfSet(flags, "grpc.host", grpcHost);
        putIfSet(flags, "grpc.port", grpcPort);
        putIfSet(flags, "http.host", httpHost);
        putIfSet(flags, "http.port", httpPort);
        putIfSet(flags, "log.format", logFormat);
        putIfSet(flags, "log.level", logLevel);
        return flags;
    }

    static List<ConfigProperty<?>> properties() {
        return DaemonConfiguration.properties();
    }

    private static void putIfSet(Map<String, String> flags, String key, String value) {
        if (value != null) {
            flags.put(key, value);
        }
    }
}
