package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.function.Function;

/**
 * One documented configuration key: dash-case name, default, description and a parser that
 * rejects bad values with a message. Its environment variable is derived from the key
 * ({@code grpc.port} → {@code QUANTBOT_GRPC_PORT}).
 */
public record ConfigProperty<T>(String key, String defaultValue, String description, Function<String, T> parser, boolean secret,
        PathBase pathBase) {

    /** What a relative path value is resolved against (see {@link Installation}). */
    public enum PathBase {
        /** The value is not a path. */
        NONE,
        /** The working directory of the daemon. */
        WORKING_DIRECTORY,
        /** The default is a file of the installation (resolved against its home); a value someone set, against the working directory. */
        INSTALLATION
    }

    public ConfigProperty {
        requireNonNull(key, "key is null");
        requireNonNull(defaultValue, "defaultValue is null");
        requireNonNull(description, "description is null");
        requireNonNull(parser, "parser is null");
        requireNonNull(pathBase, "pathBase is null");
    }

    public static <T> ConfigProperty<T> of(String key, String defaultValue, String description, Function<String, T> parser) {
        return new ConfigProperty<>(key, defaultValue, description, parser, false, PathBase.NONE);
    }

    /** A path key: a relative value is made absolute against {@code base} when the configuration is resolved. */
    public static ConfigProperty<java.nio.file.Path> path(String key, String defaultValue, String description, PathBase base) {
        return new ConfigProperty<>(key, defaultValue, description, value -> java.nio.file.Path.of(value.trim()), false, base);
    }

    /** A key whose value is a secret: `config print` shows it masked. */
    public static <T> ConfigProperty<T> secret(String key, String defaultValue, String description, Function<String, T> parser) {
        return new ConfigProperty<>(key, defaultValue, description, parser, true, PathBase.NONE);
    }

    public String environmentVariable() {
        return environmentVariableOf(key);
    }

    public static String environmentVariableOf(String key) {
        return "QUANTBOT_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public T parse(String raw) {
        return parser.apply(raw);
    }
}
