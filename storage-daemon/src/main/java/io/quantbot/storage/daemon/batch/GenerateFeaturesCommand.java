package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Features of ohlcv_slice artifacts.
 *
 * @param inputs input artifact id → its Parquet file (absolute); the ids become the lineage
 * @param windows rolling windows in candles (empty = the engine's default)
 */
public record GenerateFeaturesCommand(Map<String, Path> inputs, List<Integer> windows, String logicalKey) {
    public GenerateFeaturesCommand {
        inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        windows = List.copyOf(windows);
        requireNonNull(logicalKey, "logicalKey is null");
    }
}
