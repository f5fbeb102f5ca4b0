package io.quantbot.storage.daemon.config;

import java.util.List;

/** Limits of the run ledger's hot path. */
public record RunsConfig(int maxRowsPerChunk, int maxChunksInFlight) {
    public static final ConfigProperty<Integer> MAX_ROWS_PER_CHUNK = ConfigProperty.of(
            "runs.max-rows-per-chunk", "100000", "Most rows in one AppendRunRows chunk; more fail with RESOURCE_EXHAUSTED (REQUEST_TOO_LARGE).",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> MAX_CHUNKS_IN_FLIGHT = ConfigProperty.of(
            "runs.max-chunks-in-flight", "16",
            "Chunks of one AppendRunRows stream that may wait for their commit; the stream is not read further until one commits (flow control).",
            ConfigValueParsers::parseInt);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(MAX_ROWS_PER_CHUNK, MAX_CHUNKS_IN_FLIGHT);

    public static RunsConfig from(ResolvedConfig config) {
        RunsConfig runs = new RunsConfig(config.get(MAX_ROWS_PER_CHUNK), config.get(MAX_CHUNKS_IN_FLIGHT));
        if (runs.maxRowsPerChunk < 1 || runs.maxChunksInFlight < 1) {
            throw new ConfigException("runs.max-rows-per-chunk and runs.max-chunks-in-flight must be at least 1");
        }
        return runs;
    }
}
