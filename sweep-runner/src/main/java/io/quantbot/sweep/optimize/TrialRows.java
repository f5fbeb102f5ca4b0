package io.quantbot.sweep.optimize;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.v1.BoolColumn;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.DoubleColumn;
import io.quantbot.storage.v1.Int64Column;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.storage.v1.StringColumn;
import io.quantbot.sweep.remote.RowChunks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The {@code optimize_trials} rows of one group: one row per trial and fold it ran (a pruned trial has rows for the
 * folds before it stopped), with the policy, the trial's score and out-of-sample mean, and the in-sample
 * ({@code is_*}) and out-of-sample ({@code oos_*}) metrics of the fold. NaN (no trades, a zero denominator) is NULL.
 */
public final class TrialRows {
    /** The metric columns, each written twice (is_ and oos_). */
    private static final Map<String, ToDoubleFunction<Metrics>> METRICS = metrics();

    private TrialRows() {}

    /** Column names in order, for the docs and tests. */
    public static List<String> columnNames() {
        List<String> names = new ArrayList<>(List.of("optimize_id", "group_key", "sampler", "trial", "fold", "pruned", "take_profit_pct",
                "stop_loss_pct", "trailing_pct", "time_exit_minutes", "score", "oos_mean_over_folds"));
        for (String prefix : List.of("is_", "oos_")) {
            METRICS.keySet().forEach(name -> names.add(prefix + name));
        }
        return names;
    }

    public static RowChunk of(String optimizeId, String group, String sampler, List<Optimizer.Trial> trials) {
        requireNonNull(trials, "trials is null");
        List<Optimizer.FoldResult> rows = new ArrayList<>();
        List<Optimizer.Trial> owners = new ArrayList<>();
        for (Optimizer.Trial trial : trials) {
            for (Optimizer.FoldResult fold : trial.folds()) {
                rows.add(fold);
                owners.add(trial);
            }
        }
        RowChunk.Builder chunk = RowChunk.newBuilder().setRowCount(rows.size());
        chunk.addColumns(strings("optimize_id", rows.size(), optimizeId));
        chunk.addColumns(strings("group_key", rows.size(), group));
        chunk.addColumns(strings("sampler", rows.size(), sampler));
        chunk.addColumns(longs("trial", rows, fold -> fold.trial()));
        chunk.addColumns(longs("fold", rows, fold -> fold.fold()));
        BoolColumn.Builder pruned = BoolColumn.newBuilder();
        owners.forEach(trial -> pruned.addValues(trial.pruned()));
        chunk.addColumns(Column.newBuilder().setName("pruned").setBools(pruned));
        chunk.addColumns(doubles("take_profit_pct", rows, fold -> fold.policy().takeProfitPct()));
        chunk.addColumns(doubles("stop_loss_pct", rows, fold -> fold.policy().stopLossPct()));
        chunk.addColumns(doubles("trailing_pct", rows, fold -> fold.policy().trailingPct()));
        chunk.addColumns(longs("time_exit_minutes", rows, fold -> fold.policy().timeExitMinutes()));
        List<Double> scores = owners.stream().map(Optimizer.Trial::score).toList();
        List<Double> oos = owners.stream().map(Optimizer.Trial::outOfSampleMean).toList();
        chunk.addColumns(doubleValues("score", scores));
        chunk.addColumns(doubleValues("oos_mean_over_folds", oos));
        for (boolean inSample : new boolean[] {true, false}) {
            for (Map.Entry<String, ToDoubleFunction<Metrics>> metric : METRICS.entrySet()) {
                chunk.addColumns(doubles((inSample ? "is_" : "oos_") + metric.getKey(), rows,
                        fold -> metric.getValue().applyAsDouble(inSample ? fold.inSample() : fold.outOfSample())));
            }
        }
        return chunk.build();
    }

    private static Map<String, ToDoubleFunction<Metrics>> metrics() {
        Map<String, ToDoubleFunction<Metrics>> metrics = new LinkedHashMap<>();
        metrics.put("calls", Metrics::calls);
        metrics.put("trades", Metrics::trades);
        metrics.put("mean", Metrics::mean);
        metrics.put("median", Metrics::median);
        metrics.put("std", Metrics::std);
        metrics.put("sharpe", Metrics::sharpe);
        metrics.put("sortino", Metrics::sortino);
        metrics.put("win_rate", Metrics::winRate);
        metrics.put("profit_factor", Metrics::profitFactor);
        metrics.put("total", Metrics::total);
        metrics.put("max_drawdown", Metrics::maxDrawdown);
        metrics.put("worst", Metrics::worst);
        metrics.put("best", Metrics::best);
        return metrics;
    }

    private static Column strings(String name, int rows, String value) {
        StringColumn.Builder values = StringColumn.newBuilder();
        for (int row = 0; row < rows; row++) {
            values.addValues(value);
        }
        return Column.newBuilder().setName(name).setStrings(values).build();
    }

    private static Column longs(String name, List<Optimizer.FoldResult> rows, java.util.function.ToLongFunction<Optimizer.FoldResult> value) {
        Int64Column.Builder values = Int64Column.newBuilder();
        rows.forEach(row -> values.addValues(value.applyAsLong(row)));
        return Column.newBuilder().setName(name).setInt64S(values).build();
    }

    private static Column doubles(String name, List<Optimizer.FoldResult> rows, ToDoubleFunction<Optimizer.FoldResult> value) {
        List<Double> values = new ArrayList<>(rows.size());
        rows.forEach(row -> values.add(value.applyAsDouble(row)));
        return doubleValues(name, values);
    }

    /** Doubles with NaN as NULL (bit i of the validity bitmap set = row i is NULL). */
    private static Column doubleValues(String name, List<Double> values) {
        DoubleColumn.Builder column = DoubleColumn.newBuilder();
        byte[] nulls = new byte[(values.size() + 7) / 8];
        boolean anyNull = false;
        for (int row = 0; row < values.size(); row++) {
            double value = values.get(row);
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                nulls[row / 8] |= (byte) (1 << (row % 8));
                anyNull = true;
                column.addValues(0);
            }
            else {
                column.addValues(value);
            }
        }
        Column.Builder builder = Column.newBuilder().setName(name).setDoubles(column);
        if (anyNull) {
            RowChunks.withNullBitmap(builder, nulls);
        }
        return builder.build();
    }
}
