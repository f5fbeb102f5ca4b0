package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.function.Function;

/**
 * One documented configuration key: dash-case name, default, description and a parser that
 * rejects bad values with a message. Its environment variable is derived from the key
 * ({@code grpc.port} → {@code QUANTBOT_GRPC_PORT}).
 */
public record ConfigProperty<T>(String key, String defaultValue, String description, Function<String, T> parser, boolean secret) {
    public ConfigProperty {
        requireNonNull(key, "key is null");
        requireNonNull(defaultValue, "defaultValue is null");
        requireNonNull(description, "description is null");
        requireNonNull(parser, "parser is null");
    }

    public static <T> ConfigProperty<T> of(String key, String defaultValue, String description, Function<String, T> parser) {
        return new ConfigProperty<>(key, defaultValue, description, parser, false);
    }

    /** A key whose value is a secret: `config print` shows it masked. */
    public static <T> ConfigProperty<T> secret(String key, String defaultValue, String description, Function<String, T> parser) {
        return new ConfigProperty<>(key, defaultValue, description, parser, true);
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
