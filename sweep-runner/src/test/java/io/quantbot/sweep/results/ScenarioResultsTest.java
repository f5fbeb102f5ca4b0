package io.quantbot.sweep.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardCalculator;
import io.quantbot.sweep.leaderboard.LeaderboardRow;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.simulation.SweepSimulator;
import io.quantbot.sweep.spec.CallsSource;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ScenarioResultsTest {
    private static final long MINUTE = 60_000L;
    private static final SweepSpec SPEC = new SweepSpec("sw-test", new CallsSource(CallsSource.Kind.SNAPSHOT, "demo"),
            List.of(CandleInterval.ONE_MINUTE), List.of(0L),
            List.of(new OverlaySet("tp50_sl20", List.of(new Overlay.TakeProfit(50), new Overlay.StopLoss(20)))),
            30, 10, 1_000, 24 * 60 * MINUTE, 1, 2);

    /** Rising token: +50 % target hit in the second candle. */
    private static final CandleSeries RISING = series(new double[][] {{1.0, 1.1, 0.95, 1.05}, {1.05, 1.6, 1.0, 1.5}});
    /** Falling token: -20 % stop hit in the second candle. */
    private static final CandleSeries FALLING = series(new double[][] {{1.0, 1.05, 0.95, 1.0}, {0.9, 0.92, 0.75, 0.78}});

    private static CandleSeries series(double[][] rows) {
        int size = rows.length;
        long[] timestamps = new long[size];
        double[] open = new double[size];
        double[] high = new double[size];
        double[] low = new double[size];
        double[] close = new double[size];
        double[] volume = new double[size];
        for (int index = 0; index < size; index++) {
            timestamps[index] = index * MINUTE;
            open[index] = rows[index][0];
            high[index] = rows[index][1];
            low[index] = rows[index][2];
            close[index] = rows[index][3];
            volume[index] = 1;
        }
        return new CandleSeries(CandleInterval.ONE_MINUTE, timestamps, open, high, low, close, volume, size);
    }

    /** Calls given out of id order: rows must still come out sorted by call id. */
    private static ScenarioResults simulate() {
        List<Call> calls = List.of(
                new Call("c5", "bob", "TokenFall", "solana", 0, 1.0),
                new Call("c1", "alice", "TokenRise", "solana", 0, 1.0),
                new Call("c3", "alice", "0xabc", "base", 0, Double.NaN),
                new Call("c2", "bob", "TokenRise", "solana", 0, 1.0),
                new Call("c4", "carol", "TokenLate", "solana", 10 * MINUTE, 1.0));
        SweepCalls sweepCalls = new SweepCalls(calls);
        SweepSimulator simulator = new SweepSimulator(SPEC);
        Scenario scenario = simulator.scenarios().get(0);
        ScenarioResults results = new ScenarioResults(SPEC.sweepId(), scenario, sweepCalls, SPEC.notionalUsd());
        for (int slot = 0; slot < sweepCalls.size(); slot++) {
            Call call = sweepCalls.get(slot);
            CandleSeries candles = switch (call.token()) {
                case "TokenRise" -> RISING;
                case "TokenFall" -> FALLING;
                // Its only candle after the call opens three days later: beyond the time frame.
                case "TokenLate" -> new CandleSeries(CandleInterval.ONE_MINUTE, new long[] {0, 3 * 24 * 60 * MINUTE},
                        new double[] {1, 1}, new double[] {1, 1}, new double[] {1, 1}, new double[] {1, 1},
                        new double[] {1, 1}, 2);
                default -> CandleSeries.empty(CandleInterval.ONE_MINUTE);
            };
            int callSlot = slot;
            simulator.simulate(0, call, candles, (ignored, outcome) -> results.record(callSlot, outcome));
        }
        return results;
    }

    @Test
    void columns_are_the_run_results_columns_of_docs_artifacts_md_without_run_id() throws IOException {
        String document = Files.readString(Path.of("../docs/artifacts.md"));
        String section = document.substring(document.indexOf("### `run_results`"), document.indexOf("### `features`"));
        List<String> documented = new ArrayList<>();
        Matcher row = Pattern.compile("(?m)^\\| ([a-z_, ]+) \\| ([A-Z]+) \\|").matcher(section);
        while (row.find()) {
            for (String name : row.group(1).split(",")) {
                documented.add(name.trim() + ":" + row.group(2));
            }
        }
        assertThat(documented).first().isEqualTo("run_id:VARCHAR");

        List<String> ours = RunResultColumns.COLUMNS.stream().map(column -> column.name() + ":" + column.type()).toList();
        assertThat(ours).isEqualTo(documented.subList(1, documented.size()));

        ResultBatch batch = simulate().chunk(0, 2);
        assertThat(batch.columns()).extracting(ResultColumn::name)
                .containsExactlyElementsOf(RunResultColumns.COLUMNS.stream().map(RunResultColumns.Definition::name).toList());
        for (int index = 0; index < batch.columns().size(); index++) {
            String type = RunResultColumns.COLUMNS.get(index).type();
            Class<?> expected = switch (type) {
                case "VARCHAR" -> ResultColumn.DictionaryStringColumn.class;
                case "BIGINT" -> ResultColumn.LongColumn.class;
                case "DOUBLE" -> ResultColumn.DoubleColumn.class;
                case "BOOLEAN" -> ResultColumn.BooleanColumn.class;
                default -> throw new AssertionError(type);
            };
            assertThat(batch.columns().get(index)).as(RunResultColumns.COLUMNS.get(index).name()).isInstanceOf(expected);
        }
    }

    @Test
    void rows_come_in_chunks_sorted_by_call_id() {
        List<ResultBatch> chunks = simulate().chunks(2);

        assertThat(chunks).extracting(ResultBatch::rowCount).containsExactly(2, 2, 1);
        assertThat(chunks).extracting(ResultBatch::sequence).containsExactly(0, 1, 2);
        List<String> callIds = new ArrayList<>();
        for (ResultBatch chunk : chunks) {
            ResultColumn.DictionaryStringColumn column = (ResultColumn.DictionaryStringColumn) chunk.column("call_id");
            for (int row = 0; row < chunk.rowCount(); row++) {
                callIds.add(column.value(row));
            }
        }
        assertThat(callIds).containsExactly("c1", "c2", "c3", "c4", "c5");
    }

    @Test
    void the_same_results_always_give_identical_chunks() {
        assertThat(simulate().chunks(2)).isEqualTo(simulate().chunks(2));
        assertThat(simulate().chunk(1, 2)).isEqualTo(simulate().chunks(2).get(1));
    }

    @Test
    void row_values_nulls_and_dictionaries() {
        ResultBatch first = simulate().chunk(0, 2);   // c1 (rise), c2 (rise)
        ResultBatch second = simulate().chunk(1, 2);  // c3 (no candles), c4 (after data)
        ResultBatch third = simulate().chunk(2, 2);   // c5 (fall)

        ResultColumn.DictionaryStringColumn sweepIds = (ResultColumn.DictionaryStringColumn) first.column("sweep_id");
        assertThat(sweepIds.dictionary()).containsExactly("sw-test");
        assertThat(sweepIds.indices()).containsExactly(0, 0);
        assertThat(((ResultColumn.DictionaryStringColumn) first.column("scenario_id")).value(1))
                .isEqualTo("i=1m/lag=0s/ov=tp50_sl20");
        assertThat(((ResultColumn.LongColumn) first.column("lag_ms")).values()).containsExactly(0, 0);
        assertThat(((ResultColumn.DictionaryStringColumn) first.column("caller")).dictionary())
                .containsExactly("alice", "bob");
        assertThat(((ResultColumn.DictionaryStringColumn) first.column("exit_reason")).value(0)).isEqualTo("take_profit");
        assertThat(((ResultColumn.DoubleColumn) first.column("net_return")).values()[0]).isCloseTo(0.49, within(1e-9));
        assertThat(first.column("entry_ts").nullBitmap()).isEmpty();
        assertThat(first.column("skip_reason").isNull(0)).isTrue();

        ResultColumn.DictionaryStringColumn skips = (ResultColumn.DictionaryStringColumn) second.column("skip_reason");
        assertThat(skips.value(0)).isEqualTo("no_candles");
        assertThat(skips.value(1)).isEqualTo("entry_after_data");
        assertThat(second.column("entry_ts").nullBitmap()).containsExactly((byte) 0b11);
        assertThat(second.column("net_return").isNull(1)).isTrue();
        assertThat(((ResultColumn.DictionaryStringColumn) second.column("exit_reason")).value(0)).isNull();
        assertThat(((ResultColumn.BooleanColumn) second.column("tradeable")).values()).containsExactly(false, false);
        assertThat(((ResultColumn.LongColumn) second.column("call_ts")).values()).containsExactly(0, 10 * MINUTE);
        assertThat(((ResultColumn.DictionaryStringColumn) second.column("token")).value(0)).isEqualTo("0xabc");
        assertThat(((ResultColumn.DictionaryStringColumn) second.column("chain")).value(0)).isEqualTo("base");

        assertThat(((ResultColumn.DictionaryStringColumn) third.column("exit_reason")).value(0)).isEqualTo("stop_loss");
        assertThat(((ResultColumn.DoubleColumn) third.column("fees")).values()[0]).isCloseTo(5.40, within(0.005));
        assertThat(((ResultColumn.DoubleColumn) third.column("slippage")).values()[0]).isCloseTo(1.80, within(0.005));
        assertThat(((ResultColumn.LongColumn) third.column("candles_used")).values()).containsExactly(2);
    }

    @Test
    void leaderboards_count_skip_reasons_per_group_and_overall() {
        ScenarioResults results = simulate();
        LeaderboardRow overall = LeaderboardCalculator.compute(LeaderboardCalculator.OVERALL, List.of(results)).rows().get(0);
        assertThat(overall.keys()).isEmpty();
        assertThat(overall.count()).isEqualTo(3);
        assertThat(overall.skipReasons()).containsExactly(Map.entry("entry_after_data", 1L), Map.entry("no_candles", 1L));

        // c3 (no candles) is alice's, c4 (after data) is carol's.
        Leaderboard byCaller = LeaderboardCalculator.compute(LeaderboardCalculator.BY_CALLER, List.of(results));
        Map<String, Map<String, Long>> reasons = new TreeMap<>();
        byCaller.rows().forEach(row -> reasons.put(row.keys().get(0), row.skipReasons()));
        assertThat(reasons.get("alice")).isEqualTo(Map.of("no_candles", 1L));
        assertThat(reasons.get("carol")).isEqualTo(Map.of("entry_after_data", 1L));
        for (int slot = 0; slot < results.size(); slot++) {
            int current = slot;
            switch (results.calls().get(slot).callId()) {
                case "c3" -> assertThat(results.skipReason(slot).label()).isEqualTo("no_candles");
                case "c4" -> assertThat(results.skipReason(slot).label()).isEqualTo("entry_after_data");
                default -> assertThatThrownBy(() -> results.skipReason(current)).isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void summary_metrics_over_tradeable_rows() {
        ScenarioSummary summary = simulate().summary();

        // Tradeable: c1 +0.49, c2 +0.49, c5 -0.2072; c3 and c4 skipped.
        assertThat(summary.rows()).isEqualTo(5);
        assertThat(summary.tradeable()).isEqualTo(3);
        assertThat(summary.skipped()).isEqualTo(2);
        assertThat(summary.meanNetReturn()).isCloseTo((0.49 + 0.49 - 0.2072) / 3, within(1e-9));
        assertThat(summary.medianNetReturn()).isCloseTo(0.49, within(1e-9));
        assertThat(summary.winRate()).isCloseTo(2.0 / 3, within(1e-9));
        // Sorted -0.2072, 0.49, 0.49: p5 at rank 0.1 → -0.2072 + 0.1 × 0.6972.
        assertThat(summary.p5NetReturn()).isCloseTo(-0.2072 + 0.1 * 0.6972, within(1e-9));
        assertThat(summary.p95NetReturn()).isCloseTo(0.49, within(1e-9));
        assertThat(summary.totalNetPnlUsd()).isCloseTo(490 + 490 - 207.2, within(0.005));
        assertThat(summary.metrics()).containsKeys("rows", "tradeable", "mean_net_return", "median_net_return",
                "win_rate", "p5_net_return", "p95_net_return", "total_net_pnl_usd");
    }

    @Test
    void chunks_need_every_call_recorded() {
        ScenarioResults empty = new ScenarioResults("sw", new SweepSimulator(SPEC).scenarios().get(0),
                new SweepCalls(List.of(new Call("c1", "a", "t", "solana", 0, 1))), 1_000);
        assertThatThrownBy(() -> empty.chunk(0, 10)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new SweepCalls(List.of(new Call("c1", "a", "t", "solana", 0, 1),
                new Call("c1", "b", "t", "solana", 0, 1)))).hasMessageContaining("duplicate call id c1");
    }

    @Test
    void call_ids_sort_by_code_point_like_utf8_bytes() {
        // U+FF21 (fullwidth A) is a single UTF-16 unit above the surrogate range used by U+1F600.
        String emoji = new String(Character.toChars(0x1F600));
        assertThat(SweepCalls.CODE_POINT_ORDER.compare("\uFF21", emoji)).isNegative();
        assertThat("\uFF21".compareTo(emoji)).isPositive();
        assertThat(SweepCalls.CODE_POINT_ORDER.compare("a", "ab")).isNegative();
    }

    @Test
    void quantiles_interpolate_between_closest_ranks() {
        double[] values = {5, 1, 4, 2, 3};
        ReturnStatistics statistics = ReturnStatistics.ofUnsorted(values, 5);
        assertThat(statistics.p5()).isCloseTo(1.2, within(1e-12));
        assertThat(statistics.p50()).isCloseTo(3, within(1e-12));
        assertThat(statistics.p95()).isCloseTo(4.8, within(1e-12));
        assertThat(statistics.mean()).isCloseTo(3, within(1e-12));
        assertThat(statistics.winRate()).isEqualTo(1.0);
        assertThat(ReturnStatistics.ofUnsorted(new double[0], 0).mean()).isNaN();
    }
}
