package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

/**
 * An effective configuration value and where it came from ("default", "file:/etc/q.properties", "env:QUANTBOT_GRPC_PORT",
 * "flag"); for a relative path also what it resolved to and against what ("/srv/q/data, relative to the working directory
 * /srv/q"), else empty.
 */
public record ConfigValue(String key, String value, String origin, String resolution) {
    public ConfigValue {
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
        requireNonNull(origin, "origin is null");
        requireNonNull(resolution, "resolution is null");
    }

    public ConfigValue(String key, String value, String origin) {
        this(key, value, origin, "");
    }

    ConfigValue withResolution(String resolution) {
        return new ConfigValue(key, value, origin, resolution);
    }
}
