package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.List;

/** The candle cache and request limits. */
public record CandlesConfig(long cacheSize, int maxCandlesPerRequest, int maxBatch) {
    public static final ConfigProperty<Long> CACHE_SIZE = ConfigProperty.of(
            "candles.cache-size", "512MiB", "Memory for cached candle series (48 bytes per candle); least recently used series are evicted past it.",
            ConfigValueParsers::parseSize);
    public static final ConfigProperty<Integer> MAX_CANDLES_PER_REQUEST = ConfigProperty.of(
            "candles.max-candles-per-request", "1000000", "Most candles one GetCandles answer may hold; more fail with RESOURCE_EXHAUSTED.",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> MAX_BATCH = ConfigProperty.of(
            "candles.max-batch", "1000", "Most series in one BatchGetCandles.", ConfigValueParsers::parseInt);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(CACHE_SIZE, MAX_CANDLES_PER_REQUEST, MAX_BATCH);

    public static CandlesConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new CandlesConfig(config.get(CACHE_SIZE), config.get(MAX_CANDLES_PER_REQUEST), config.get(MAX_BATCH));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        ConfigChecks.atLeast(problems, config, CACHE_SIZE, 0);
        ConfigChecks.atLeast(problems, config, MAX_CANDLES_PER_REQUEST, 1);
        ConfigChecks.atLeast(problems, config, MAX_BATCH, 1);
        return problems;
    }
}
