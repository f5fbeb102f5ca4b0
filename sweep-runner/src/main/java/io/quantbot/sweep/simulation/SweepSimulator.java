package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.EntryRule;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a sweep's grid for one call and one interval at a time: the caller fetches the call's candles
 * once per interval (GetCandles) and this class replays them for every lag × overlay set of that
 * interval. The old system re-fetched candles for every scenario; here a fetch serves
 * {@code lags × overlay sets} backtests.
 *
 * <p>Thread-safe; callers parallelise over calls.
 */
public final class SweepSimulator {
    private final SweepSpec spec;
    private final Backtester backtester;
    private final List<Scenario> scenarios;
    private final ExitPlan[] exitPlans;
    private final long[] lags;
    private final long smallestLag;
    private final long largestLag;
    /** scenariosByInterval[interval][lag * overlaySetCount + set]. */
    private final Scenario[][] scenariosByInterval;

    public SweepSimulator(SweepSpec spec) {
        this.spec = requireNonNull(spec, "spec is null");
        this.backtester = new Backtester(new TradeCosts(spec.takerFeeBps(), spec.slippageBps(), spec.notionalUsd()),
                spec.timeFrameMillis(), spec.entryRule());
        this.scenarios = spec.scenarios();
        this.exitPlans = spec.overlaySets().stream().map(ExitPlan::of).toArray(ExitPlan[]::new);
        this.lags = spec.entryLagsMillis().stream().mapToLong(Long::longValue).toArray();
        this.smallestLag = Arrays.stream(lags).min().orElseThrow();
        this.largestLag = Arrays.stream(lags).max().orElseThrow();
        int perInterval = lags.length * exitPlans.length;
        this.scenariosByInterval = new Scenario[spec.intervals().size()][perInterval];
        for (Scenario scenario : scenarios) {
            scenariosByInterval[scenario.intervalIndex()][scenario.lagIndex() * exitPlans.length
                    + scenario.overlaySetIndex()] = scenario;
        }
    }

    public SweepSpec spec() {
        return spec;
    }

    public Backtester backtester() {
        return backtester;
    }

    /** All scenarios, in {@link SweepSpec#scenarios()} order. */
    public List<Scenario> scenarios() {
        return scenarios;
    }

    /** The scenarios one call of {@link #simulate} feeds for this interval. */
    public List<Scenario> scenariosOf(int intervalIndex) {
        return List.of(scenariosByInterval[intervalIndex]);
    }

    /**
     * The candles {@link #simulate} needs for a call at an interval. Entry is the first candle at or
     * after call + lag and may come up to one time frame later (gaps in the data); the hold then lasts
     * up to one more time frame; one interval more shows whether data goes on after the frame. So the
     * range is [call + smallest lag, call + largest lag + 2 × time frame + interval). The next-close rule enters
     * at the end of the entry candle, one interval later, so its range reaches one interval further.
     */
    public CandleRequest candleRequest(Call call, int intervalIndex) {
        requireNonNull(call, "call is null");
        CandleInterval interval = spec.intervals().get(intervalIndex);
        long from = call.timestampMillis() + smallestLag;
        long to = call.timestampMillis() + largestLag + 2 * spec.timeFrameMillis() + interval.millis()
                + (spec.entryRule().kind() == EntryRule.Kind.NEXT_CLOSE ? interval.millis() : 0);
        return new CandleRequest(call.token(), call.chain(), interval, from, to);
    }

    /** Backtests per call and interval: lags × overlay sets. */
    public int backtestsPerSeries() {
        return lags.length * exitPlans.length;
    }

    /**
     * Backtests one call against its series at {@code spec.intervals().get(intervalIndex)}, for every
     * lag × overlay set, in scenario order. A missing series is {@link CandleSeries#empty}: every
     * backtest is then skipped with {@code no_candles}.
     *
     * @return the number of backtests passed to the sink
     */
    public int simulate(int intervalIndex, Call call, CandleSeries series, OutcomeSink sink) {
        requireNonNull(call, "call is null");
        requireNonNull(series, "series is null");
        requireNonNull(sink, "sink is null");
        CandleInterval expected = spec.intervals().get(intervalIndex);
        if (series.interval() != expected) {
            throw new IllegalArgumentException("series interval " + series.interval() + " != scenario interval " + expected);
        }
        Scenario[] intervalScenarios = scenariosByInterval[intervalIndex];
        BacktestOutcome outcome = new BacktestOutcome();
        int done = 0;
        for (int lagIndex = 0; lagIndex < lags.length; lagIndex++) {
            int entryIndex = backtester.entryIndex(series, call.timestampMillis(), call.price(), lags[lagIndex]);
            for (int setIndex = 0; setIndex < exitPlans.length; setIndex++) {
                if (entryIndex < 0) {
                    outcome.skip(Backtester.skipReasonOf(entryIndex));
                }
                else {
                    backtester.backtestFromEntry(series, entryIndex, call.price(), exitPlans[setIndex], outcome);
                }
                sink.accept(intervalScenarios[lagIndex * exitPlans.length + setIndex], outcome);
                done++;
            }
        }
        return done;
    }
}
