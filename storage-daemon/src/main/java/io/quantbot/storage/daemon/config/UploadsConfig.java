package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Limits of UploadSnapshot: a client streams a snapshot folder into the daemon's staging area, so its
 * size, file count and the number of uploads at once bound the disk and threads an upload can take.
 */
public record UploadsConfig(long maxBytes, int maxFiles, int maxConcurrent) {
    public static final ConfigProperty<Long> MAX_BYTES = ConfigProperty.of(
            "uploads.max-bytes", "16GiB",
            "Most bytes one UploadSnapshot may carry (all files together); a larger upload fails with RESOURCE_EXHAUSTED"
                    + " (REQUEST_TOO_LARGE) before or while its data arrives, and its staged files are removed.",
            ConfigValueParsers::parseSize);
    public static final ConfigProperty<Integer> MAX_FILES = ConfigProperty.of(
            "uploads.max-files", "100000", "Most files in one UploadSnapshot; more fail with RESOURCE_EXHAUSTED (REQUEST_TOO_LARGE).",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> MAX_CONCURRENT = ConfigProperty.of(
            "uploads.max-concurrent", "4",
            "UploadSnapshot streams staged at once; one more fails at once with RESOURCE_EXHAUSTED (QUEUE_FULL), to be retried.",
            ConfigValueParsers::parseInt);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(MAX_BYTES, MAX_FILES, MAX_CONCURRENT);

    public static UploadsConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new UploadsConfig(config.get(MAX_BYTES), config.get(MAX_FILES), config.get(MAX_CONCURRENT));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        ConfigChecks.atLeast(problems, config, MAX_BYTES, 1);
        ConfigChecks.atLeast(problems, config, MAX_FILES, 1);
        ConfigChecks.atLeast(problems, config, MAX_CONCURRENT, 1);
        return problems;
    }
}
