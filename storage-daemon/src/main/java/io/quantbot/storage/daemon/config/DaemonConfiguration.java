package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.List;

/** Every configuration key the daemon knows, in documentation order. */
public final class DaemonConfiguration {
    private DaemonConfiguration() {}

    public static List<ConfigProperty<?>> properties() {
        List<ConfigProperty<?>> all = new ArrayList<>();
        all.addAll(DatabaseConfig.PROPERTIES);
        all.addAll(ServerConfig.PROPERTIES);
        all.addAll(SecurityConfig.PROPERTIES);
        all.addAll(StateConfig.PROPERTIES);
        all.addAll(RunsConfig.PROPERTIES);
        all.addAll(CandlesConfig.PROPERTIES);
        all.addAll(PythonWorkerConfig.PROPERTIES);
        all.addAll(LoggingConfig.PROPERTIES);
        return List.copyOf(all);
    }
}
