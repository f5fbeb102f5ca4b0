package io.quantbot.storage.daemon.config;

import java.time.Duration;
import java.util.List;

/** Range checks shared by the config areas; each problem names the key, the value and where the value came from. */
final class ConfigChecks {
    private ConfigChecks() {}

    static void atLeast(List<String> problems, ResolvedConfig config, ConfigProperty<? extends Number> property, long minimum) {
        if (config.get(property).longValue() < minimum) {
            problems.add(describe(config, property) + " must be at least " + minimum + ", got " + shown(config, property));
        }
    }

    static void positive(List<String> problems, ResolvedConfig config, ConfigProperty<Duration> property) {
        Duration value = config.get(property);
        if (value.isZero() || value.isNegative()) {
            problems.add(describe(config, property) + " must be longer than 0, got " + shown(config, property));
        }
    }

    static void notBlank(List<String> problems, ResolvedConfig config, ConfigProperty<String> property) {
        if (config.get(property).isBlank()) {
            problems.add(describe(config, property) + " must not be empty");
        }
    }

    /** "key" for a default, "key (from flag)" otherwise, so the operator knows which setting to fix. */
    static String describe(ResolvedConfig config, ConfigProperty<?> property) {
        String origin = config.value(property.key()).origin();
        return origin.equals("default") ? property.key() : property.key() + " (from " + origin + ")";
    }

    private static String shown(ResolvedConfig config, ConfigProperty<?> property) {
        return "'" + config.value(property.key()).value() + "'";
    }
}
