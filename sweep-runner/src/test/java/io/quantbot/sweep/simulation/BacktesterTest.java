package io.quantbot.sweep.simulation;

import static io.quantbot.sweep.simulation.Candles.MINUTE;
import static io.quantbot.sweep.simulation.Candles.candle;
import static io.quantbot.sweep.simulation.Candles.oneMinute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every case is computed by hand; the comments show the arithmetic. */
class BacktesterTest {
    private static final double EPSILON = 1e-9;
    private static final long DAY = 24 * 60 * MINUTE;
    private static final TradeCosts COSTS = new TradeCosts(30, 10, 1_000);
    private static final Backtester BACKTESTER = new Backtester(COSTS, DAY);

    private static ExitPlan plan(Overlay... overlays) {
        return ExitPlan.of(new OverlaySet("test", List.of(overlays)));
    }

    private static BacktestOutcome run(Backtester backtester, CandleSeries series, long callTimestamp, long lag,
            ExitPlan plan) {
        BacktestOutcome outcome = new BacktestOutcome();
        backtester.backtest(callTimestamp, series, lag, plan, outcome);
        return outcome;
    }

    @Test
    void take_profit_fills_at_the_target_with_fees_and_slippage_on_both_legs() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.10, 0.95, 1.05),
                candle(1, 1.05, 1.60, 1.00, 1.50),
                candle(2, 1.50, 1.70, 1.40, 1.60));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TakeProfit(50), new Overlay.StopLoss(20)));

        assertThat(outcome.tradeable()).isTrue();
        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TAKE_PROFIT);
        assertThat(outcome.entryTimestamp()).isEqualTo(0);
        assertThat(outcome.entryPrice()).isEqualTo(1.00);
        assertThat(outcome.exitTimestamp()).isEqualTo(MINUTE);
        assertThat(outcome.exitPrice()).isCloseTo(1.50, within(EPSILON));
        assertThat(outcome.candlesUsed()).isEqualTo(2);
        assertThat(outcome.grossReturn()).isCloseTo(0.50, within(EPSILON));
        // Both legs: 1,000 in + 1,500 out = 2,500 notional; fees 30 bps = 7.50, slippage 10 bps = 2.50.
        assertThat(outcome.fees()).isCloseTo(7.50, within(0.005));
        assertThat(outcome.slippage()).isCloseTo(2.50, within(0.005));
        // (500 - 7.50 - 2.50) / 1,000.
        assertThat(outcome.netReturn()).isCloseTo(0.49, within(EPSILON));
    }

    @Test
    void stop_loss_fills_at_the_stop() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.00),
                candle(1, 0.90, 0.92, 0.75, 0.78));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.StopLoss(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitPrice()).isCloseTo(0.80, within(EPSILON));
        assertThat(outcome.exitTimestamp()).isEqualTo(MINUTE);
        assertThat(outcome.grossReturn()).isCloseTo(-0.20, within(EPSILON));
        // 1,000 + 800 = 1,800 notional: fees 5.40, slippage 1.80; net (-200 - 7.20) / 1,000.
        assertThat(outcome.fees()).isCloseTo(5.40, within(0.005));
        assertThat(outcome.slippage()).isCloseTo(1.80, within(0.005));
        assertThat(outcome.netReturn()).isCloseTo(-0.2072, within(EPSILON));
    }

    @Test
    void a_gap_past_the_stop_fills_at_the_open() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.00),
                candle(1, 0.70, 0.72, 0.60, 0.65));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.StopLoss(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitPrice()).isEqualTo(0.70);
        assertThat(outcome.grossReturn()).isCloseTo(-0.30, within(EPSILON));
        // 1,000 + 700 = 1,700: fees 5.10, slippage 1.70; net (-300 - 6.80) / 1,000.
        assertThat(outcome.fees()).isCloseTo(5.10, within(0.005));
        assertThat(outcome.slippage()).isCloseTo(1.70, within(0.005));
        assertThat(outcome.netReturn()).isCloseTo(-0.3068, within(EPSILON));
    }

    @Test
    void stop_wins_when_stop_and_target_are_both_inside_one_candle() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.00),
                candle(1, 1.00, 1.60, 0.70, 1.20));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TakeProfit(50), new Overlay.StopLoss(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitPrice()).isCloseTo(0.80, within(EPSILON));
    }

    @Test
    void trailing_stop_follows_the_peak_of_earlier_highs() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.20, 0.99, 1.15),   // level 1.00 × 0.8 = 0.80
                candle(1, 1.15, 1.50, 1.10, 1.45),   // peak 1.20 → level 0.96
                candle(2, 1.45, 1.46, 1.19, 1.20),   // peak 1.50 → level 1.20, low 1.19 hits
                candle(3, 1.20, 1.30, 1.10, 1.25));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TrailingStop(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TRAILING_STOP);
        assertThat(outcome.exitPrice()).isCloseTo(1.20, within(EPSILON));
        assertThat(outcome.exitTimestamp()).isEqualTo(2 * MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(3);
        assertThat(outcome.grossReturn()).isCloseTo(0.20, within(EPSILON));
    }

    @Test
    void trailing_stop_gapped_through_fills_at_the_open() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 2.00, 0.99, 1.90),   // peak 2.00 → level 1.60 for the next candle
                candle(1, 1.50, 1.55, 1.40, 1.45));  // opens below 1.60
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TrailingStop(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TRAILING_STOP);
        assertThat(outcome.exitPrice()).isEqualTo(1.50);
    }

    @Test
    void the_higher_of_stop_loss_and_trailing_level_decides_the_reason() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.01, 0.85, 0.90)); // stop-loss 10 % → 0.90 beats trailing 20 % → 0.80
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0,
                plan(new Overlay.StopLoss(10), new Overlay.TrailingStop(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitPrice()).isCloseTo(0.90, within(EPSILON));
    }

    @Test
    void time_exit_leaves_at_the_open_of_the_first_candle_at_or_after_entry_plus_after() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.02),
                candle(1, 1.02, 1.08, 1.00, 1.06),
                candle(2, 1.10, 1.12, 1.05, 1.07),
                candle(3, 1.07, 1.09, 1.01, 1.02));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TimeExit(2 * MINUTE)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TIME_EXIT);
        assertThat(outcome.exitPrice()).isEqualTo(1.10);
        assertThat(outcome.exitTimestamp()).isEqualTo(2 * MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(3);
    }

    @Test
    void the_end_of_the_time_frame_exits_at_the_close_of_the_last_candle_inside_it() {
        Backtester threeMinutes = new Backtester(COSTS, 3 * MINUTE);
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.02),
                candle(1, 1.02, 1.08, 1.00, 1.06),
                candle(2, 1.06, 1.12, 1.05, 1.11),
                candle(3, 1.11, 1.20, 1.10, 1.15),
                candle(4, 1.15, 1.25, 1.14, 1.20));
        BacktestOutcome outcome = run(threeMinutes, series, 0, 0, plan());

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TIME_EXIT);
        assertThat(outcome.exitPrice()).isEqualTo(1.11);
        assertThat(outcome.exitTimestamp()).isEqualTo(3 * MINUTE); // close time of the candle opening at 2m
        assertThat(outcome.candlesUsed()).isEqualTo(3);
    }

    @Test
    void data_ending_inside_the_time_frame_exits_at_the_last_close_as_end_of_data() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.02),
                candle(1, 1.02, 1.08, 1.00, 1.06),
                candle(2, 1.06, 1.12, 1.05, 1.09));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TakeProfit(50), new Overlay.StopLoss(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.END_OF_DATA);
        assertThat(outcome.exitPrice()).isEqualTo(1.09);
        assertThat(outcome.exitTimestamp()).isEqualTo(3 * MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(3);
        assertThat(outcome.grossReturn()).isCloseTo(0.09, within(EPSILON));
    }

    @Test
    void a_time_exit_beyond_the_data_is_end_of_data() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.95, 1.02),
                candle(1, 1.02, 1.08, 1.00, 1.06));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TimeExit(60 * MINUTE)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.END_OF_DATA);
        assertThat(outcome.exitPrice()).isEqualTo(1.06);
    }

    @Test
    void no_candles_at_all_is_skipped() {
        BacktestOutcome outcome = run(BACKTESTER, CandleSeries.empty(CandleInterval.ONE_MINUTE), 0, 0,
                plan(new Overlay.TakeProfit(50)));

        assertThat(outcome.tradeable()).isFalse();
        assertThat(outcome.skipReason()).isEqualTo(SkipReason.NO_CANDLES);
        assertThat(outcome.exitReason()).isNull();
        assertThat(outcome.netReturn()).isNaN();
    }

    @Test
    void a_call_after_the_last_candle_is_no_candles_as_in_a_sweep_whose_fetch_from_call_plus_lag_is_empty() {
        CandleSeries series = oneMinute(candle(0, 1.00, 1.05, 0.95, 1.02), candle(1, 1.02, 1.08, 1.00, 1.06));
        BacktestOutcome outcome = run(BACKTESTER, series, 90_000, 0, plan(new Overlay.TakeProfit(50)));

        assertThat(outcome.skipReason()).isEqualTo(SkipReason.NO_CANDLES);
    }

    @Test
    void a_lag_that_pushes_entry_past_the_data_is_no_candles() {
        CandleSeries series = oneMinute(candle(0, 1.00, 1.05, 0.95, 1.02), candle(1, 1.02, 1.08, 1.00, 1.06));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 5 * MINUTE, plan(new Overlay.TakeProfit(50)));

        assertThat(outcome.skipReason()).isEqualTo(SkipReason.NO_CANDLES);
    }

    @Test
    void the_next_candle_beyond_the_time_frame_is_entry_after_data() {
        CandleSeries series = oneMinute(candle(0, 1.00, 1.05, 0.95, 1.02), candle(2 * 24 * 60, 1.02, 1.08, 1.00, 1.06));
        BacktestOutcome outcome = run(BACKTESTER, series, MINUTE, 0, plan(new Overlay.TakeProfit(50)));

        assertThat(outcome.skipReason()).isEqualTo(SkipReason.ENTRY_AFTER_DATA);
    }

    @Test
    void a_non_positive_entry_price_is_bad_price() {
        CandleSeries series = oneMinute(candle(0, 0.0, 1.05, 0.0, 1.02), candle(1, 1.02, 1.08, 1.00, 1.06));
        BacktestOutcome outcome = run(BACKTESTER, series, 0, 0, plan(new Overlay.TakeProfit(50)));

        assertThat(outcome.skipReason()).isEqualTo(SkipReason.BAD_PRICE);
    }

    @ParameterizedTest(name = "call at {0} ms, lag {1} ms enters the candle at minute {2}")
    @CsvSource({
        "10000, 0, 1",       // first candle at or after 0:10 opens at 1:00
        "10000, 30000, 1",   // 0:40 → 1:00
        "10000, 60000, 2",   // 1:10 → 2:00
        "60000, 0, 1",       // exactly on a candle's open time: that candle
        "10000, 300000, 6",  // 5:10 → 6:00
    })
    void entry_is_the_first_candle_at_or_after_call_time_plus_lag(long callTimestamp, long lag, int minute) {
        double[][] rows = new double[10][];
        for (int index = 0; index < rows.length; index++) {
            rows[index] = candle(index, 1 + index / 10.0, 1.01 + index / 10.0, 0.99 + index / 10.0, 1 + index / 10.0);
        }
        BacktestOutcome outcome = run(BACKTESTER, oneMinute(rows), callTimestamp, lag, plan(new Overlay.TakeProfit(500)));

        assertThat(outcome.entryTimestamp()).isEqualTo(minute * MINUTE);
        assertThat(outcome.entryPrice()).isEqualTo(1 + minute / 10.0);
    }

    @Test
    void zero_costs_make_net_equal_gross() {
        Backtester free = new Backtester(new TradeCosts(0, 0, 1_000), DAY);
        CandleSeries series = oneMinute(candle(0, 2.00, 2.00, 2.00, 2.00), candle(1, 2.00, 3.00, 2.00, 3.00));
        BacktestOutcome outcome = run(free, series, 0, 0, plan(new Overlay.TakeProfit(25)));

        assertThat(outcome.exitPrice()).isCloseTo(2.50, within(EPSILON));
        assertThat(outcome.netReturn()).isCloseTo(outcome.grossReturn(), within(EPSILON));
        assertThat(outcome.fees()).isZero();
    }
}
