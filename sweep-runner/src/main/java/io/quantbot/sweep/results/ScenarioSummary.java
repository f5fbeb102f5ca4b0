package io.quantbot.sweep.results;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Summary metrics of one scenario, the FinishRun metrics of its run. Return statistics are over
 * tradeable rows only and NaN when there are none.
 *
 * @param rows every call of the scenario
 * @param tradeable rows that entered a trade
 * @param totalNetPnlUsd sum over tradeable rows of net return × notional
 */
public record ScenarioSummary(String scenarioId, long rows, long tradeable, double meanNetReturn,
        double medianNetReturn, double winRate, double p5NetReturn, double p95NetReturn, double totalNetPnlUsd) {
    public ScenarioSummary {
        requireNonNull(scenarioId, "scenarioId is null");
    }

    public long skipped() {
        return rows - tradeable;
    }

    /** Metric name → value, NaN values left out (JSON has no NaN). Names are stable: they are stored with the run. */
    public Map<String, Double> metrics() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rows", (double) rows);
        metrics.put("tradeable", (double) tradeable);
        put(metrics, "mean_net_return", meanNetReturn);
        put(metrics, "median_net_return", medianNetReturn);
        put(metrics, "win_rate", winRate);
        put(metrics, "p5_net_return", p5NetReturn);
        put(metrics, "p95_net_return", p95NetReturn);
        metrics.put("total_net_pnl_usd", totalNetPnlUsd);
        return metrics;
    }

    private static void put(Map<String, Double> metrics, String name, double value) {
        if (!Double.isNaN(value)) {
            metrics.put(name, value);
        }
    }
}
