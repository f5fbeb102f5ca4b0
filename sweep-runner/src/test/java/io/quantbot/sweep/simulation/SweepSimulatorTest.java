package io.quantbot.sweep.simulation;

import static io.quantbot.sweep.simulation.Candles.candle;
import static io.quantbot.sweep.simulation.Candles.oneMinute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.sweep.spec.CallsSource;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepSimulatorTest {
    private static final SweepSpec SPEC = new SweepSpec("sw-test", new CallsSource(CallsSource.Kind.SNAPSHOT, "demo"),
            List.of(CandleInterval.ONE_MINUTE, CandleInterval.FIVE_MINUTES), List.of(0L, 60_000L),
            List.of(new OverlaySet("tp10", List.of(new Overlay.TakeProfit(10))),
                    new OverlaySet("sl5", List.of(new Overlay.StopLoss(5))),
                    new OverlaySet("hold", List.of())),
            30, 10, 1_000, 24 * 3_600_000L, 2, 2_000);

    private final CandleSeries series = oneMinute(
            candle(0, 1.00, 1.02, 0.99, 1.01),
            candle(1, 1.01, 1.05, 0.94, 1.04),
            candle(2, 1.04, 1.20, 1.03, 1.15),
            candle(3, 1.15, 1.16, 1.10, 1.12));

    @Test
    void one_series_feeds_every_lag_and_overlay_set_of_its_interval_in_scenario_order() {
        SweepSimulator simulator = new SweepSimulator(SPEC);
        Call call = new Call("c1", "alice", "TokenA", "solana", 0, 1.0);
        List<String> seen = new ArrayList<>();
        List<String> exits = new ArrayList<>();

        int count = simulator.simulate(0, call, series, (scenario, outcome) -> {
            seen.add(scenario.id());
            exits.add(outcome.tradeable() ? outcome.exitReason().label() : outcome.skipReason().label());
        });

        assertThat(count).isEqualTo(6);
        assertThat(seen).containsExactly(
                "i=1m/lag=0s/ov=tp10", "i=1m/lag=0s/ov=sl5", "i=1m/lag=0s/ov=hold",
                "i=1m/lag=1m/ov=tp10", "i=1m/lag=1m/ov=sl5", "i=1m/lag=1m/ov=hold");
        // lag 0 enters at 1.00: sl5 (0.95) hit by the 0.94 low of candle 1; tp10 (1.10) by candle 2.
        // lag 1m enters at 1.01: sl5 (0.9595) hit by candle 1 too (low 0.94).
        assertThat(exits).containsExactly("take_profit", "stop_loss", "end_of_data",
                "take_profit", "stop_loss", "end_of_data");
        assertThat(simulator.scenariosOf(1)).extracting(Scenario::id).startsWith("i=5m/lag=0s/ov=tp10");
    }

    @Test
    void results_match_one_backtest_at_a_time() {
        SweepSimulator simulator = new SweepSimulator(SPEC);
        Call call = new Call("c1", "alice", "TokenA", "solana", 30_000, 1.0);
        List<Double> batched = new ArrayList<>();
        simulator.simulate(0, call, series, (scenario, outcome) -> batched.add(outcome.netReturn()));

        List<Double> single = new ArrayList<>();
        for (Scenario scenario : simulator.scenariosOf(0)) {
            BacktestOutcome outcome = new BacktestOutcome();
            simulator.backtester().backtest(call.timestampMillis(), series, scenario.lagMillis(),
                    ExitPlan.of(scenario.overlaySet()), outcome);
            single.add(outcome.netReturn());
        }
        assertThat(batched).isEqualTo(single);
    }

    @Test
    void results_match_returns_worked_out_by_hand() {
        // Golden values, not the backtester's own output: costs 30 bps fee + 10 bps slippage on both legs of a $1,000
        // trade, net = (1000 g - 0.004 (1000 + 1000 (1 + g))) / 1000 with g = exit / entry - 1. The call at 0:30 enters at
        // the next open: 1.01 (candle 1) with lag 0, 1.04 (candle 2) with lag 1m.
        SweepSimulator simulator = new SweepSimulator(SPEC);
        Call call = new Call("c1", "alice", "TokenA", "solana", 30_000, 1.0);
        List<String> outcomes = new ArrayList<>();
        List<Double> returns = new ArrayList<>();
        simulator.simulate(0, call, series, (scenario, outcome) -> {
            outcomes.add(String.format(java.util.Locale.ROOT, "%s %s %.4f->%.4f", scenario.id(), outcome.exitReason().label(),
                    outcome.entryPrice(), outcome.exitPrice()));
            returns.add(outcome.netReturn());
        });
        assertThat(outcomes).containsExactly(
                // tp10 at 1.111 (candle 2's high 1.20); sl5 at 0.9595 (candle 1's low 0.94); hold to the last close 1.12
                "i=1m/lag=0s/ov=tp10 take_profit 1.0100->1.1110", "i=1m/lag=0s/ov=sl5 stop_loss 1.0100->0.9595",
                "i=1m/lag=0s/ov=hold end_of_data 1.0100->1.1200",
                // tp10 at 1.144 (candle 2's high); the 0.988 stop is never touched (lows 1.03, 1.10)
                "i=1m/lag=1m/ov=tp10 take_profit 1.0400->1.1440", "i=1m/lag=1m/ov=sl5 end_of_data 1.0400->1.1200",
                "i=1m/lag=1m/ov=hold end_of_data 1.0400->1.1200");
        // g = 0.1: 100 - 8.4 = 91.6; g = -0.05: -50 - 7.8; g = 0.12/1.01: 108.9109 - 8.4356; g = 0.08/1.04: 76.9231 - 8.3077
        double[] expected = {0.0916, -0.0578, 0.10047524752475247, 0.0916, 0.06861538461538461, 0.06861538461538461};
        assertThat(returns).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(returns.get(i)).as("scenario %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void a_series_of_another_interval_is_rejected() {
        SweepSimulator simulator = new SweepSimulator(SPEC);
        Call call = new Call("c1", "alice", "TokenA", "solana", 0, 1.0);
        assertThatThrownBy(() -> simulator.simulate(1, call, series, (scenario, outcome) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5m");
    }

    @Test
    void resampling_aggregates_aligned_buckets() {
        CandleSeries five = CandleResampler.resample(oneMinute(
                candle(4, 1.0, 1.1, 0.9, 1.05),
                candle(5, 1.05, 1.3, 1.0, 1.2),
                candle(7, 1.2, 1.25, 0.8, 0.9),
                candle(10, 0.9, 0.95, 0.85, 0.93)), CandleInterval.FIVE_MINUTES);

        assertThat(five.size()).isEqualTo(3);
        assertThat(five.timestamp(1)).isEqualTo(5 * 60_000L);
        assertThat(five.open(1)).isEqualTo(1.05);
        assertThat(five.high(1)).isEqualTo(1.3);
        assertThat(five.low(1)).isEqualTo(0.8);
        assertThat(five.close(1)).isEqualTo(0.9);
        assertThat(five.volume(1)).isEqualTo(200);
    }
}
