package io.quantbot.storage.daemon.cli;

import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.config.SecurityConfig;
import io.quantbot.storage.daemon.server.TokenStore;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one check of a configuration, run by {@code serve} before anything starts and by {@code config
 * check}: every area's values and the auth tokens' contents. Each problem is listed once.
 */
final class ConfigValidation {
    private ConfigValidation() {}

    static List<String> problems(ResolvedConfig config) {
        Set<String> problems = new LinkedHashSet<>(DaemonConfiguration.problems(config));
        if (SecurityConfig.problems(config).isEmpty()) {
            problems.addAll(TokenStore.problems(SecurityConfig.from(config)));
        }
        return List.copyOf(problems);
    }
}
