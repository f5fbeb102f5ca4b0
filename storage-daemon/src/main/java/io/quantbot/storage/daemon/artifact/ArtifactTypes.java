package io.quantbot.storage.daemon.artifact;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The artifact types the daemon knows, with their canonical columns (mirrors python-worker's schemas.py). */
public final class ArtifactTypes {
    public static final String OHLCV_SLICE_TYPE = "ohlcv_slice";
    public static final String ALERTS_TYPE = "alerts";
    public static final String RUN_RESULTS_TYPE = "run_results";
    public static final String FEATURES_TYPE = "features";
    public static final String REPORT_TYPE = "report";

    public static final ArtifactSchema OHLCV_SLICE = new ArtifactSchema(OHLCV_SLICE_TYPE, 1, List.of(
                    col("token", "VARCHAR"), col("chain", "VARCHAR"), col("interval", "VARCHAR"), col("ts", "BIGINT"),
                    col("open", "DOUBLE"), col("high", "DOUBLE"), col("low", "DOUBLE"), col("close", "DOUBLE"), col("volume", "DOUBLE")),
            List.of("token", "chain", "interval", "ts"), Optional.of("ts"));

    public static final ArtifactSchema ALERTS = new ArtifactSchema(ALERTS_TYPE, 1, List.of(
                    col("call_id", "VARCHAR"), col("caller", "VARCHAR"), col("token", "VARCHAR"), col("chain", "VARCHAR"),
                    col("ts", "BIGINT"), col("price", "DOUBLE")),
            List.of("ts", "call_id"), Optional.of("ts"));

    public static final ArtifactSchema RUN_RESULTS = new ArtifactSchema(RUN_RESULTS_TYPE, 1, List.of(
                    col("run_id", "VARCHAR"), col("sweep_id", "VARCHAR"), col("scenario_id", "VARCHAR"), col("interval", "VARCHAR"),
                    col("lag_ms", "BIGINT"), col("overlay_set", "VARCHAR"), col("call_id", "VARCHAR"), col("caller", "VARCHAR"),
                    col("token", "VARCHAR"), col("chain", "VARCHAR"), col("call_ts", "BIGINT"), col("entry_ts", "BIGINT"),
                    col("entry_px", "DOUBLE"), col("exit_ts", "BIGINT"), col("exit_px", "DOUBLE"), col("exit_reason", "VARCHAR"),
                    col("gross_return", "DOUBLE"), col("net_return", "DOUBLE"), col("fees", "DOUBLE"), col("slippage", "DOUBLE"),
                    col("candles_used", "BIGINT"), col("tradeable", "BOOLEAN"), col("skip_reason", "VARCHAR")),
            List.of("run_id", "call_id"), Optional.of("call_ts"));

    private static final Map<String, ArtifactSchema> KNOWN = Map.of(
            OHLCV_SLICE_TYPE, OHLCV_SLICE, ALERTS_TYPE, ALERTS, RUN_RESULTS_TYPE, RUN_RESULTS);

    private ArtifactTypes() {}

    /** The fixed schema of a type, if it has one (features and unknown types take their file's columns). */
    public static Optional<ArtifactSchema> schema(String type) {
        return Optional.ofNullable(KNOWN.get(type));
    }

    private static ColumnSpec col(String name, String type) {
        return new ColumnSpec(name, type);
    }
}
