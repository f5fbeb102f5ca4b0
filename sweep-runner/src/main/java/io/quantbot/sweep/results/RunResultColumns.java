package io.quantbot.sweep.results;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The run_results columns this runner produces, in order: docs/artifacts.md without {@code run_id},
 * which the daemon sets. A test checks this list against the document.
 */
public final class RunResultColumns {
    /** A column name and its DuckDB type. */
    public record Definition(String name, String type) {
        public Definition {
            requireNonNull(name, "name is null");
            requireNonNull(type, "type is null");
        }
    }

    public static final List<Definition> COLUMNS = List.of(
            new Definition("sweep_id", "VARCHAR"),
            new Definition("scenario_id", "VARCHAR"),
            new Definition("interval", "VARCHAR"),
            new Definition("lag_ms", "BIGINT"),
            new Definition("overlay_set", "VARCHAR"),
            new Definition("call_id", "VARCHAR"),
            new Definition("caller", "VARCHAR"),
            new Definition("token", "VARCHAR"),
            new Definition("chain", "VARCHAR"),
            new Definition("call_ts", "BIGINT"),
            new Definition("entry_ts", "BIGINT"),
            new Definition("entry_px", "DOUBLE"),
            new Definition("exit_ts", "BIGINT"),
            new Definition("exit_px", "DOUBLE"),
            new Definition("exit_reason", "VARCHAR"),
            new Definition("gross_return", "DOUBLE"),
            new Definition("net_return", "DOUBLE"),
            new Definition("fees", "DOUBLE"),
            new Definition("slippage", "DOUBLE"),
            new Definition("candles_used", "BIGINT"),
            new Definition("tradeable", "BOOLEAN"),
            new Definition("skip_reason", "VARCHAR"));

    private RunResultColumns() {}
}
