package io.quantbot.sweep.simulation;

import static io.quantbot.sweep.simulation.Candles.MINUTE;
import static io.quantbot.sweep.simulation.Candles.candle;
import static io.quantbot.sweep.simulation.Candles.oneMinute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.quantbot.sweep.spec.EntryRule;
import io.quantbot.sweep.spec.Overlay;
import io.quantbot.sweep.spec.OverlaySet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Ladder exits and entry rules against hand-computed cases; the comments show the arithmetic. */
class LadderAndEntryRulesTest {
    private static final double EPSILON = 1e-9;
    private static final long DAY = 24 * 60 * MINUTE;
    private static final TradeCosts COSTS = new TradeCosts(30, 10, 1_000);
    private static final Backtester NEXT_OPEN = new Backtester(COSTS, DAY);

    private static ExitPlan plan(Overlay... overlays) {
        return ExitPlan.of(new OverlaySet("test", List.of(overlays)));
    }

    private static Overlay.TakeProfitLadder targets(double... pctAndFraction) {
        return new Overlay.TakeProfitLadder(legs(pctAndFraction));
    }

    private static Overlay.StopLadder stops(double... pctAndFraction) {
        return new Overlay.StopLadder(legs(pctAndFraction));
    }

    private static List<Overlay.Leg> legs(double... pctAndFraction) {
        Overlay.Leg[] legs = new Overlay.Leg[pctAndFraction.length / 2];
        for (int index = 0; index < legs.length; index++) {
            legs[index] = new Overlay.Leg(pctAndFraction[2 * index], pctAndFraction[2 * index + 1]);
        }
        return List.of(legs);
    }

    private static BacktestOutcome run(Backtester backtester, CandleSeries series, long call, double callPrice, long lag,
            ExitPlan plan) {
        BacktestOutcome outcome = new BacktestOutcome();
        backtester.backtest(call, callPrice, series, lag, plan, outcome);
        return outcome;
    }

    @Test
    void a_ladder_leg_that_never_fills_leaves_its_share_to_the_end_of_the_data() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.10, 0.95, 1.05),
                candle(1, 1.05, 1.60, 1.00, 1.50),   // +50 % leg: half at 1.50
                candle(2, 1.50, 1.70, 1.40, 1.60));  // +100 % (2.00) never reached; data ends
        BacktestOutcome outcome = run(NEXT_OPEN, series, 0, Double.NaN, 0, plan(targets(50, 0.5, 100, 0.5)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.END_OF_DATA);
        assertThat(outcome.exitTimestamp()).isEqualTo(3 * MINUTE);  // the last candle's end
        assertThat(outcome.candlesUsed()).isEqualTo(3);
        // 0.5 × 0.50 + 0.5 × 0.60 = 0.55; exit price is the weighted mean 0.5 × 1.50 + 0.5 × 1.60 = 1.55.
        assertThat(outcome.grossReturn()).isCloseTo(0.55, within(EPSILON));
        assertThat(outcome.exitPrice()).isCloseTo(1.55, within(EPSILON));
        // Legs: 1,000 in, 750 + 800 out = 2,550 notional: fees 7.65, slippage 2.55.
        assertThat(outcome.fees()).isCloseTo(7.65, within(1e-9));
        assertThat(outcome.slippage()).isCloseTo(2.55, within(1e-9));
        assertThat(outcome.netReturn()).isCloseTo((550 - 7.65 - 2.55) / 1_000, within(EPSILON));
    }

    @Test
    void a_whole_stop_and_a_ladder_leg_on_the_same_candle_the_stop_wins() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.98, 1.00),
                candle(1, 1.00, 1.25, 0.85, 1.10));  // low reaches the stop 0.90, high the +20 % leg 1.20
        BacktestOutcome outcome = run(NEXT_OPEN, series, 0, Double.NaN, 0,
                plan(targets(20, 0.5, 50, 0.5), new Overlay.StopLoss(10)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitPrice()).isCloseTo(0.90, within(EPSILON));
        assertThat(outcome.exitTimestamp()).isEqualTo(MINUTE);
        // 1,000 + 900 = 1,900: fees 5.70, slippage 1.90; net (-100 - 7.60) / 1,000.
        assertThat(outcome.netReturn()).isCloseTo(-0.1076, within(EPSILON));
    }

    @Test
    void a_partial_stop_then_a_ladder_leg_on_the_same_candle_both_fill_stop_first() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.98, 1.00),
                candle(1, 1.00, 1.25, 0.85, 1.10));
        BacktestOutcome outcome = run(NEXT_OPEN, series, 0, Double.NaN, 0, plan(targets(20, 0.5), stops(10, 0.5)));

        // Stop leg first: half at 0.90; then the target leg: half at 1.20. The last leg names the exit.
        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TAKE_PROFIT);
        assertThat(outcome.exitTimestamp()).isEqualTo(MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(2);
        // 0.5 × -0.10 + 0.5 × 0.20 = 0.05; out 450 + 600 = 1,050, notional 2,050: fees 6.15, slippage 2.05.
        assertThat(outcome.grossReturn()).isCloseTo(0.05, within(EPSILON));
        assertThat(outcome.exitPrice()).isCloseTo(1.05, within(EPSILON));
        assertThat(outcome.netReturn()).isCloseTo((50 - 6.15 - 2.05) / 1_000, within(EPSILON));
    }

    @Test
    void a_stop_ladder_over_a_gap_in_the_candles_fills_the_deep_leg_at_the_open() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.02, 0.98, 1.00),
                candle(10, 0.95, 0.96, 0.88, 0.90),   // 9 minutes missing; -10 % leg (0.90): half at 0.90
                candle(30, 0.70, 0.75, 0.65, 0.70));  // 19 more missing; opens below -20 % (0.80): half at 0.70
        BacktestOutcome outcome = run(NEXT_OPEN, series, 0, Double.NaN, 0, plan(stops(10, 0.5, 20, 0.5)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitTimestamp()).isEqualTo(30 * MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(3);  // candles, not minutes
        // 0.5 × -0.10 + 0.5 × -0.30 = -0.20; out 450 + 350 = 800, notional 1,800: fees 5.40, slippage 1.80.
        assertThat(outcome.grossReturn()).isCloseTo(-0.20, within(EPSILON));
        assertThat(outcome.exitPrice()).isCloseTo(0.80, within(EPSILON));
        assertThat(outcome.netReturn()).isCloseTo(-0.2072, within(EPSILON));
    }

    @Test
    void the_trailing_stop_sells_what_the_ladder_left() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.10, 0.99, 1.05),
                candle(1, 1.05, 1.60, 1.30, 1.55),   // trailing 1.10 × 0.8 = 0.88 not hit; +50 %: half at 1.50
                candle(2, 1.50, 1.52, 1.20, 1.25));  // trailing 1.60 × 0.8 = 1.28 hit: the rest at 1.28
        BacktestOutcome outcome = run(NEXT_OPEN, series, 0, Double.NaN, 0,
                plan(targets(50, 0.5), new Overlay.TrailingStop(20)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TRAILING_STOP);
        assertThat(outcome.exitTimestamp()).isEqualTo(2 * MINUTE);
        // 0.5 × 0.50 + 0.5 × 0.28 = 0.39; out 750 + 640 = 1,390, notional 2,390: fees 7.17, slippage 2.39.
        assertThat(outcome.grossReturn()).isCloseTo(0.39, within(EPSILON));
        assertThat(outcome.netReturn()).isCloseTo((390 - 7.17 - 2.39) / 1_000, within(EPSILON));
    }

    @Test
    void legs_adding_up_to_less_than_one_leave_the_rest_to_the_time_exit() {
        CandleSeries series = oneMinute(
                candle(0, 1.00, 1.05, 0.99, 1.02),
                candle(1, 1.02, 1.12, 1.00, 1.10),   // +10 %: 30 % of the position at 1.10
                candle(2, 1.08, 1.09, 1.07, 1.08));  // opens at entry + 2 m: the other 70 % at the open 1.08
        BacktestOutcome outcome = run(NEXT_OPEN, series, 0, Double.NaN, 0,
                plan(targets(10, 0.3), new Overlay.TimeExit(2 * MINUTE)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TIME_EXIT);
        assertThat(outcome.exitTimestamp()).isEqualTo(2 * MINUTE);
        // 0.3 × 0.10 + 0.7 × 0.08 = 0.086.
        assertThat(outcome.grossReturn()).isCloseTo(0.086, within(EPSILON));
    }

    @Test
    void single_leg_plans_give_the_same_numbers_on_the_leg_by_leg_loop() {
        Random random = new Random(16);
        List<ExitPlan> plans = List.of(
                plan(new Overlay.TakeProfit(20), new Overlay.StopLoss(10)),
                plan(new Overlay.TakeProfit(35), new Overlay.TrailingStop(15), new Overlay.TimeExit(90 * MINUTE)),
                plan(new Overlay.StopLoss(8), new Overlay.TrailingStop(8)),
                plan(new Overlay.TimeExit(30 * MINUTE)),
                plan());
        for (int trial = 0; trial < 200; trial++) {
            int size = 5 + random.nextInt(200);
            double[][] rows = new double[size][];
            double price = 1;
            int minute = 0;
            for (int index = 0; index < size; index++) {
                double open = price;
                double close = open * Math.exp(random.nextGaussian() * 0.04);
                double high = Math.max(open, close) * (1 + random.nextDouble() * 0.03);
                double low = Math.min(open, close) * (1 - random.nextDouble() * 0.03);
                rows[index] = candle(minute, open, high, low, close);
                minute += 1 + (random.nextInt(10) == 0 ? random.nextInt(30) : 0);
                price = random.nextInt(20) == 0 ? close * (0.8 + random.nextDouble() * 0.4) : close;
            }
            CandleSeries series = oneMinute(rows);
            for (ExitPlan single : plans) {
                BacktestOutcome fast = run(NEXT_OPEN, series, 0, Double.NaN, 0, single);
                BacktestOutcome legs = run(NEXT_OPEN, series, 0, Double.NaN, 0, single.asLaddered());
                assertThat(legs.exitReason()).isEqualTo(fast.exitReason());
                assertThat(legs.exitTimestamp()).isEqualTo(fast.exitTimestamp());
                assertThat(legs.candlesUsed()).isEqualTo(fast.candlesUsed());
                assertThat(legs.grossReturn()).isCloseTo(fast.grossReturn(), within(1e-12));
                assertThat(legs.netReturn()).isCloseTo(fast.netReturn(), within(1e-12));
                assertThat(legs.fees()).isCloseTo(fast.fees(), within(1e-9));
            }
        }
    }

    @Test
    void next_close_enters_at_the_close_stamped_at_the_candle_end_and_walks_from_the_next_candle() {
        Backtester nextClose = new Backtester(COSTS, DAY, EntryRule.NEXT_CLOSE);
        CandleSeries series = oneMinute(
                candle(0, 0.90, 0.95, 0.85, 0.92),
                candle(1, 1.00, 1.10, 0.60, 1.02),   // first candle at or after 0 + 30 s: enter at its close 1.02
                candle(2, 1.03, 1.60, 1.00, 1.50));  // target 1.02 × 1.5 = 1.53 reached
        BacktestOutcome outcome = run(nextClose, series, 0, Double.NaN, 30_000, plan(new Overlay.TakeProfit(50),
                new Overlay.StopLoss(20)));

        // The entry candle's low (0.60) is before the entry: it cannot stop the trade.
        assertThat(outcome.entryPrice()).isEqualTo(1.02);
        assertThat(outcome.entryTimestamp()).isEqualTo(2 * MINUTE);
        assertThat(outcome.exitReason()).isEqualTo(ExitReason.TAKE_PROFIT);
        assertThat(outcome.exitPrice()).isCloseTo(1.53, within(EPSILON));
        assertThat(outcome.exitTimestamp()).isEqualTo(2 * MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(2);
        assertThat(outcome.grossReturn()).isCloseTo(0.5, within(EPSILON));
    }

    @Test
    void next_close_on_the_last_candle_exits_where_it_entered() {
        Backtester nextClose = new Backtester(COSTS, DAY, EntryRule.NEXT_CLOSE);
        CandleSeries series = oneMinute(candle(0, 1.00, 1.10, 0.90, 1.02));
        BacktestOutcome outcome = run(nextClose, series, 0, Double.NaN, 0, plan(new Overlay.TakeProfit(50)));

        assertThat(outcome.exitReason()).isEqualTo(ExitReason.END_OF_DATA);
        assertThat(outcome.exitTimestamp()).isEqualTo(MINUTE);
        assertThat(outcome.candlesUsed()).isEqualTo(1);
        // Flat: only costs, 2,000 × 40 bps = 8 USD.
        assertThat(outcome.netReturn()).isCloseTo(-0.008, within(EPSILON));
    }

    @Test
    void limit_fills_inside_a_candle_at_the_limit_and_walks_from_the_next_candle() {
        Backtester limit = new Backtester(COSTS, DAY, EntryRule.limit(2, 5 * MINUTE));
        CandleSeries series = oneMinute(
                candle(0, 1.10, 1.15, 1.05, 1.08),   // low 1.05 > limit 1.00 × 1.02 = 1.02
                candle(1, 1.08, 1.09, 1.01, 1.05),   // low 1.01 <= 1.02: filled at 1.02 inside the candle
                candle(2, 1.05, 1.10, 0.80, 0.85));  // stop 1.02 × 0.9 = 0.918
        BacktestOutcome outcome = run(limit, series, 0, 1.00, 0, plan(new Overlay.StopLoss(10)));

        assertThat(outcome.entryPrice()).isCloseTo(1.02, within(EPSILON));
        assertThat(outcome.entryTimestamp()).isEqualTo(MINUTE);
        assertThat(outcome.exitReason()).isEqualTo(ExitReason.STOP_LOSS);
        assertThat(outcome.exitPrice()).isCloseTo(0.918, within(EPSILON));
        assertThat(outcome.exitTimestamp()).isEqualTo(2 * MINUTE);
        assertThat(outcome.grossReturn()).isCloseTo(-0.10, within(EPSILON));
        assertThat(outcome.candlesUsed()).isEqualTo(2);
    }

    @Test
    void limit_filled_at_the_open_walks_that_candle() {
        Backtester limit = new Backtester(COSTS, DAY, EntryRule.limit(2, 5 * MINUTE));
        CandleSeries series = oneMinute(
                candle(0, 1.10, 1.15, 1.05, 1.08),
                candle(1, 0.99, 1.00, 0.85, 0.90));  // opens at 0.99 <= 1.02: entry 0.99; stop 0.891 hit
        BacktestOutcome outcome = run(limit, series, 0, 1.00, 0, plan(new Overlay.StopLoss(10)));

        assertThat(outcome.entryPrice()).isEqualTo(0.99);
        assertThat(outcome.exitPrice()).isCloseTo(0.891, within(EPSILON));
        assertThat(outcome.candlesUsed()).isEqualTo(1);
    }

    @Test
    void limit_not_reached_within_the_window_is_limit_not_filled_even_if_reached_later() {
        Backtester limit = new Backtester(COSTS, DAY, EntryRule.limit(2, 2 * MINUTE));
        CandleSeries series = oneMinute(
                candle(0, 1.10, 1.15, 1.05, 1.08),
                candle(1, 1.08, 1.09, 1.03, 1.05),
                candle(2, 1.00, 1.01, 0.95, 0.97));  // opens at the window's end: too late
        assertThat(run(limit, series, 0, 1.00, 0, plan()).skipReason()).isEqualTo(SkipReason.LIMIT_NOT_FILLED);
        assertThat(run(limit, series, 0, Double.NaN, 0, plan()).skipReason()).isEqualTo(SkipReason.NO_CALL_PRICE);
        assertThat(run(limit, series, 0, 0.0, 0, plan()).skipReason()).isEqualTo(SkipReason.NO_CALL_PRICE);
        assertThat(run(limit, series, 5 * MINUTE, 1.00, 0, plan()).skipReason()).isEqualTo(SkipReason.NO_CANDLES);
    }
}
