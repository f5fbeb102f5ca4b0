package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.List;

/** Limits of the run ledger's hot path. */
public record RunsConfig(int maxRowsPerChunk, int maxChunksInFlight, int sealQueue, int maxBatch) {
    public static final ConfigProperty<Integer> MAX_ROWS_PER_CHUNK = ConfigProperty.of(
            "runs.max-rows-per-chunk", "100000", "Most rows in one AppendRunRows chunk; more fail with RESOURCE_EXHAUSTED (REQUEST_TOO_LARGE).",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> MAX_CHUNKS_IN_FLIGHT = ConfigProperty.of(
            "runs.max-chunks-in-flight", "16",
            "Chunks of one AppendRunRows stream that may wait for their commit; the stream is not read further until one commits (flow control).",
            ConfigValueParsers::parseInt);

    public static final ConfigProperty<Integer> SEAL_QUEUE = ConfigProperty.of(
            "runs.seal-queue", "64",
            "Seals (of FinishRun and of the start-up resumption) that may wait for one of the two sealing threads; past it FinishRun fails"
                    + " with RESOURCE_EXHAUSTED (QUEUE_FULL, with a retry delay): the run stays finished, and a retried FinishRun seals it.",
            ConfigValueParsers::parseInt);

    public static final ConfigProperty<Integer> MAX_BATCH = ConfigProperty.of(
            "runs.max-batch", "1000", "Most runs in one BatchCreateRuns or BatchFinishRuns; more fail with RESOURCE_EXHAUSTED (REQUEST_TOO_LARGE).",
            ConfigValueParsers::parseInt);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(MAX_ROWS_PER_CHUNK, MAX_CHUNKS_IN_FLIGHT, SEAL_QUEUE, MAX_BATCH);

    public static RunsConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new RunsConfig(config.get(MAX_ROWS_PER_CHUNK), config.get(MAX_CHUNKS_IN_FLIGHT), config.get(SEAL_QUEUE), config.get(MAX_BATCH));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        ConfigChecks.atLeast(problems, config, MAX_ROWS_PER_CHUNK, 1);
        ConfigChecks.atLeast(problems, config, MAX_CHUNKS_IN_FLIGHT, 1);
        ConfigChecks.atLeast(problems, config, SEAL_QUEUE, 1);
        ConfigChecks.atLeast(problems, config, MAX_BATCH, 1);
        return problems;
    }
}
