package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Every configuration key the daemon knows, in documentation order. */
public final class DaemonConfiguration {
    private DaemonConfiguration() {}

    public static List<ConfigProperty<?>> properties() {
        List<ConfigProperty<?>> all = new ArrayList<>();
        all.addAll(StorageConfig.PROPERTIES);
        all.addAll(ClusterConfig.PROPERTIES);
        all.addAll(DatabaseConfig.PROPERTIES);
        all.addAll(LakeConfig.PROPERTIES);
        all.addAll(ServerConfig.PROPERTIES);
        all.addAll(SecurityConfig.PROPERTIES);
        all.addAll(StateConfig.PROPERTIES);
        all.addAll(RunsConfig.PROPERTIES);
        all.addAll(CandlesConfig.PROPERTIES);
        all.addAll(UploadsConfig.PROPERTIES);
        all.addAll(PythonWorkerConfig.PROPERTIES);
        all.addAll(LoggingConfig.PROPERTIES);
        return List.copyOf(all);
    }

    /**
     * The one validation of a resolved configuration, used by {@code serve} and {@code config check}
     * alike: every problem of every area, each once, in documentation order. Parse errors and unknown
     * keys are found earlier, by {@link ResolvedConfig#resolve}.
     */
    public static List<String> problems(ResolvedConfig config) {
        Set<String> problems = new LinkedHashSet<>();
        problems.addAll(StorageConfig.problems(config));
        problems.addAll(DatabaseConfig.problems(config));
        problems.addAll(LakeConfig.problems(config));
        problems.addAll(ServerConfig.problems(config));
        problems.addAll(SecurityConfig.problems(config));
        problems.addAll(StateConfig.problems(config));
        problems.addAll(RunsConfig.problems(config));
        problems.addAll(CandlesConfig.problems(config));
        problems.addAll(UploadsConfig.problems(config));
        problems.addAll(PythonWorkerConfig.problems(config));
        return List.copyOf(problems);
    }
}
