package io.quantbot.storage.daemon.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Log format, level and the gRPC access log. */
public record LoggingConfig(LoggingConfig.Format format, String level, AccessLog accessLog, Duration slowCallThreshold) {

    public enum Format { TEXT, JSON }

    /** Which calls the access log records: all, only failed or slow ones, or none. */
    public enum AccessLog { ALL, ERRORS, OFF }

    public static final ConfigProperty<Format> FORMAT = ConfigProperty.of(
            "log.format", "text", "text (human-readable) or json (one JSON object per line, with request_id).",
            value -> enumValue(Format.class, value));
    public static final ConfigProperty<String> LEVEL = ConfigProperty.of(
            "log.level", "info", "Root log level: error, warn, info, debug, trace.", value -> {
                String level = value.trim().toLowerCase(Locale.ROOT);
                if (!List.of("error", "warn", "info", "debug", "trace").contains(level)) {
                    throw new IllegalArgumentException("not a log level (error, warn, info, debug, trace): '" + value + "'");
                }
                return level;
            });
    public static final ConfigProperty<AccessLog> ACCESS = ConfigProperty.of(
            "log.access", "errors",
            "gRPC access log (method, status, duration, peer, request id): all, errors (failed or slow calls only) or off. "
                    + "'all' logs every call of a sweep.",
            value -> enumValue(AccessLog.class, value));
    public static final ConfigProperty<Duration> SLOW_CALL_THRESHOLD = ConfigProperty.of(
            "log.slow-call-threshold", "1s", "Calls slower than this are access-logged even with log.access=errors.",
            ConfigValueParsers::parseDuration);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(FORMAT, LEVEL, ACCESS, SLOW_CALL_THRESHOLD);

    public static LoggingConfig from(ResolvedConfig config) {
        return new LoggingConfig(config.get(FORMAT), config.get(LEVEL), config.get(ACCESS), config.get(SLOW_CALL_THRESHOLD));
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT)
                    + ": '" + value + "'");
        }
    }
}
