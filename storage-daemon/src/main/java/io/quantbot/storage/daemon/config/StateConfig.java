package io.quantbot.storage.daemon.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Limits of StatePort. */
public record StateConfig(
        int maxNamespaceLength,
        int maxKeyLength,
        long maxValueSize,
        int maxBatchSize,
        int maxPageSize,
        long maxTotalBytes,
        Duration purgeInterval) {

    public static final ConfigProperty<Integer> MAX_NAMESPACE_LENGTH = ConfigProperty.of(
            "state.max-namespace-length", "128", "Longest namespace ([a-z0-9][a-z0-9_.-]*).", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> MAX_KEY_LENGTH = ConfigProperty.of(
            "state.max-key-length", "512", "Longest key (printable ASCII, no spaces).", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Long> MAX_VALUE_SIZE = ConfigProperty.of(
            "state.max-value-size", "1MiB", "Largest value; larger ones fail with RESOURCE_EXHAUSTED (VALUE_TOO_LARGE).",
            ConfigValueParsers::parseSize);
    public static final ConfigProperty<Integer> MAX_BATCH_SIZE = ConfigProperty.of(
            "state.max-batch-size", "1000", "Most keys in one BatchGet / BatchSet / Transaction.", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> MAX_PAGE_SIZE = ConfigProperty.of(
            "state.max-page-size", "1000", "Largest List page.", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Long> MAX_TOTAL_BYTES = ConfigProperty.of(
            "state.max-total-bytes", "1GiB",
            "Quota on the total size of live values (state is served from memory); past it writes fail with RESOURCE_EXHAUSTED (QUOTA_EXCEEDED).",
            ConfigValueParsers::parseSize);
    public static final ConfigProperty<Duration> PURGE_INTERVAL = ConfigProperty.of(
            "state.purge-interval", "30s", "How often expired keys are purged from disk and the state log is compacted.",
            ConfigValueParsers::parseDuration);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(
            MAX_NAMESPACE_LENGTH, MAX_KEY_LENGTH, MAX_VALUE_SIZE, MAX_BATCH_SIZE, MAX_PAGE_SIZE, MAX_TOTAL_BYTES, PURGE_INTERVAL);

    public static StateConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new StateConfig(
                config.get(MAX_NAMESPACE_LENGTH),
                config.get(MAX_KEY_LENGTH),
                config.get(MAX_VALUE_SIZE),
                config.get(MAX_BATCH_SIZE),
                config.get(MAX_PAGE_SIZE),
                config.get(MAX_TOTAL_BYTES),
                config.get(PURGE_INTERVAL));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        ConfigChecks.atLeast(problems, config, MAX_NAMESPACE_LENGTH, 1);
        ConfigChecks.atLeast(problems, config, MAX_KEY_LENGTH, 1);
        ConfigChecks.atLeast(problems, config, MAX_VALUE_SIZE, 1);
        ConfigChecks.atLeast(problems, config, MAX_BATCH_SIZE, 1);
        ConfigChecks.atLeast(problems, config, MAX_PAGE_SIZE, 1);
        ConfigChecks.atLeast(problems, config, MAX_TOTAL_BYTES, 1);
        ConfigChecks.positive(problems, config, PURGE_INTERVAL);
        return problems;
    }
}
