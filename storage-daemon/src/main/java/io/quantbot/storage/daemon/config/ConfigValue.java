package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

/** An effective configuration value and where it came from ("default", "file:/etc/q.properties", "env:QUANTBOT_GRPC_PORT", "flag"). */
public record ConfigValue(String key, String value, String origin) {
    public ConfigValue {
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
        requireNonNull(origin, "origin is null");
    }
}
