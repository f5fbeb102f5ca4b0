package io.quantbot.sweep.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SweepSpecLoaderTest {
    private static final String MINIMAL = """
            calls: {snapshot: demo}
            intervals: [1m]
            entry_lags: [0s]
            overlay_sets:
              - overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]
            """;

    private final SweepSpecLoader loader = new SweepSpecLoader(4);

    private SweepSpec parse(String yaml) throws InvalidSweepSpecException {
        return loader.parse(yaml, "test.yaml");
    }

    private List<String> problems(String yaml) {
        InvalidSweepSpecException exception = catchThrowableOfType(InvalidSweepSpecException.class, () -> parse(yaml));
        assertThat(exception).as("expected the spec to be rejected").isNotNull();
        return exception.problems().stream().map(SpecProblem::toString).toList();
    }

    @Test
    void the_example_demo_sweep_is_valid_with_96_scenarios() throws Exception {
        SweepSpec spec = loader.load(Path.of("examples/demo-sweep.yaml"));

        assertThat(spec.scenarioCount()).isEqualTo(96);
        assertThat(spec.intervals()).containsExactly(CandleInterval.ONE_MINUTE, CandleInterval.FIVE_MINUTES);
        assertThat(spec.entryLagsMillis()).containsExactly(0L, 30_000L, 60_000L, 300_000L);
        assertThat(spec.overlaySets()).hasSize(12);
        assertThat(spec.takerFeeBps()).isEqualTo(30);
        assertThat(spec.slippageBps()).isEqualTo(10);
        assertThat(spec.notionalUsd()).isEqualTo(1_000);
        assertThat(spec.timeFrameMillis()).isEqualTo(24 * 3_600_000L);
        assertThat(spec.calls()).isEqualTo(new CallsSource(CallsSource.Kind.SNAPSHOT, "demo"));
    }

    @Test
    void defaults_apply_when_keys_are_left_out() throws Exception {
        SweepSpec spec = parse(MINIMAL);

        assertThat(spec.takerFeeBps()).isEqualTo(30);
        assertThat(spec.slippageBps()).isEqualTo(10);
        assertThat(spec.notionalUsd()).isEqualTo(1_000);
        assertThat(spec.timeFrameMillis()).isEqualTo(86_400_000L);
        assertThat(spec.parallelism()).isEqualTo(4);
        assertThat(spec.chunkRows()).isEqualTo(2_000);
        assertThat(spec.sweepId()).matches("sw-[0-9a-f]{12}");
        assertThat(spec.overlaySets().get(0).name()).isEqualTo("tp50_sl20");
    }

    @Test
    void every_setting_is_read() throws Exception {
        SweepSpec spec = parse("""
                sweep_id: my-sweep.v2
                calls: {logical_key: snapshot=demo/alerts}
                intervals: [15s, 1h]
                entry_lags: [0, 500ms, 2m]
                overlay_sets:
                  - name: mixed
                    overlays:
                      - {type: trailing_stop, pct: 12.5}
                      - {type: time_exit, after: 90m}
                  - overlays: []
                fees: {taker_bps: 25.5}
                slippage_bps: 0
                notional_usd: 250
                time_frame: 2d
                parallelism: 3
                chunk_rows: 500
                """);

        assertThat(spec.sweepId()).isEqualTo("my-sweep.v2");
        assertThat(spec.calls()).isEqualTo(new CallsSource(CallsSource.Kind.LOGICAL_KEY, "snapshot=demo/alerts"));
        assertThat(spec.intervals()).containsExactly(CandleInterval.FIFTEEN_SECONDS, CandleInterval.ONE_HOUR);
        assertThat(spec.entryLagsMillis()).containsExactly(0L, 500L, 120_000L);
        assertThat(spec.overlaySets().get(0).overlays())
                .containsExactly(new Overlay.TrailingStop(12.5), new Overlay.TimeExit(90 * 60_000L));
        assertThat(spec.overlaySets().get(1).name()).isEqualTo("hold");
        assertThat(spec.takerFeeBps()).isEqualTo(25.5);
        assertThat(spec.slippageBps()).isZero();
        assertThat(spec.notionalUsd()).isEqualTo(250);
        assertThat(spec.timeFrameMillis()).isEqualTo(2 * 86_400_000L);
        assertThat(spec.parallelism()).isEqualTo(3);
        assertThat(spec.chunkRows()).isEqualTo(500);
        assertThat(spec.scenarioCount()).isEqualTo(2 * 3 * 2);
    }

    @Test
    void scenario_ids_are_stable_and_ordered_intervals_then_lags_then_overlay_sets() throws Exception {
        SweepSpec spec = parse("""
                calls: {snapshot: demo}
                intervals: [1m, 5m]
                entry_lags: [0s, 30s, 60s]
                overlay_sets:
                  - overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]
                  - overlays: [{type: time_exit, after: 4h}]
                """);

        assertThat(spec.scenarios()).extracting(Scenario::id).containsExactly(
                "i=1m/lag=0s/ov=tp50_sl20", "i=1m/lag=0s/ov=tx4h",
                "i=1m/lag=30s/ov=tp50_sl20", "i=1m/lag=30s/ov=tx4h",
                "i=1m/lag=1m/ov=tp50_sl20", "i=1m/lag=1m/ov=tx4h",
                "i=5m/lag=0s/ov=tp50_sl20", "i=5m/lag=0s/ov=tx4h",
                "i=5m/lag=30s/ov=tp50_sl20", "i=5m/lag=30s/ov=tx4h",
                "i=5m/lag=1m/ov=tp50_sl20", "i=5m/lag=1m/ov=tx4h");
        assertThat(spec.scenarios()).extracting(Scenario::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(Scenario.idOf(CandleInterval.ONE_MINUTE, 30_000, "tp50_sl20")).isEqualTo("i=1m/lag=30s/ov=tp50_sl20");
    }

    @Test
    void the_derived_sweep_id_depends_on_results_not_on_formatting_or_parallelism() throws Exception {
        String reformatted = """
                overlay_sets:
                  - overlays:
                      - type: take_profit
                        pct: 50.0
                      - type: stop_loss
                        pct: 20
                entry_lags: ["0"]
                intervals: ["1m"]
                calls:
                  snapshot: demo
                parallelism: 7
                fees: {taker_bps: 30}
                """;
        assertThat(parse(reformatted).sweepId()).isEqualTo(parse(MINIMAL).sweepId());
        assertThat(parse(MINIMAL + "slippage_bps: 11\n").sweepId()).isNotEqualTo(parse(MINIMAL).sweepId());
        assertThat(parse(MINIMAL.replace("demo", "other")).sweepId()).isNotEqualTo(parse(MINIMAL).sweepId());
    }

    @Test
    void the_brief_example_error_names_its_path() {
        List<String> problems = problems("""
                calls: {snapshot: demo}
                intervals: [1m]
                entry_lags: [0s]
                overlay_sets:
                  - overlays: [{type: take_profit, pct: 50}]
                  - overlays: [{type: stop_loss, pct: 20}]
                  - overlays: [{type: take_profit, pct: 0}]
                """);

        assertThat(problems).containsExactly("overlay_sets[2].overlays[0].pct: must be > 0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown root key with a suggestion | slipage_bps: 5 | slipage_bps: unknown key (known: sweep_id, calls, intervals, entry_lags, overlay_sets, fees, slippage_bps, notional_usd, time_frame, parallelism, chunk_rows, entry); did you mean slippage_bps?",
        "unknown interval | intervals: [1m, 2m] | intervals[1]: unknown interval '2m' (known: 1s, 15s, 1m, 5m, 15m, 1h, 4h, 1d)",
        "duplicate interval | intervals: [1m, 1m] | intervals[1]: duplicate interval 1m",
        "empty intervals | intervals: [] | intervals: must not be empty",
        "intervals not a list | intervals: 1m | intervals: must be a list such as [1m, 5m]",
        "bare number lag | entry_lags: [30] | entry_lags[0]: must be a duration such as 0s, 500ms, 30s, 5m, 4h or 1d, got 30",
        "bad lag unit | entry_lags: [0s, 5x] | entry_lags[1]: must be a duration such as 0s, 500ms, 30s, 5m, 4h or 1d, got '5x'",
        "duplicate lag | entry_lags: [60s, 1m] | entry_lags[1]: duplicate lag 1m",
        "negative fee | fees: {taker_bps: -1} | fees.taker_bps: must be >= 0",
        "unknown fee key | fees: {maker_bps: 1} | fees.maker_bps: unknown key (known: taker_bps); did you mean taker_bps?",
        "fee as text | slippage_bps: ten | slippage_bps: must be a number, got 'ten'",
        "zero notional | notional_usd: 0 | notional_usd: must be > 0",
        "zero time frame | time_frame: 0s | time_frame: must be > 0",
        "fractional parallelism | parallelism: 1.5 | parallelism: must be a whole number, got 1.5",
        "chunk rows too big | chunk_rows: 1000000 | chunk_rows: must be between 1 and 100000",
        "bad sweep id | sweep_id: 'has space' | sweep_id: must be 1 to 64 characters of A-Z a-z 0-9 . _ -, got 'has space'",
    })
    void each_problem_is_reported_with_its_path(String description, String line, String expected) {
        String yaml = MINIMAL;
        String key = line.substring(0, line.indexOf(':'));
        if (yaml.contains(key + ":")) {
            yaml = yaml.lines().filter(existing -> !existing.startsWith(key + ":")).reduce("", (a, b) -> a + b + "\n");
        }
        assertThat(problems(yaml + line + "\n")).containsExactly(expected);
    }

    @Test
    void overlay_problems_are_reported_with_their_paths() {
        List<String> problems = problems("""
                calls: {snapshot: demo}
                intervals: [1m]
                entry_lags: [0s]
                time_frame: 12h
                overlay_sets:
                  - name: a
                    overlays:
                      - {type: stop_loss, pct: 100}
                      - {type: trailing_stop, pct: -5}
                      - {type: take_proft, pct: 5}
                      - {type: time_exit, after: 1d}
                      - {type: take_profit, pct: 5, extra: 1}
                      - {type: take_profit, pct: "5"}
                      - {pct: 5}
                  - name: a
                    overlays: [{type: stop_loss}]
                  - overlays: {type: stop_loss, pct: 5}
                  - oops
                """);

        assertThat(problems).containsExactly(
                "overlay_sets[0].overlays[0].pct: must be < 100 (a stop at or below zero never triggers)",
                "overlay_sets[0].overlays[1].pct: must be > 0",
                "overlay_sets[0].overlays[2].type: unknown overlay type 'take_proft' (known: take_profit, stop_loss, "
                        + "trailing_stop, time_exit, take_profit_ladder, stop_ladder); did you mean take_profit?",
                "overlay_sets[0].overlays[3].after: must be <= time_frame (12h)",
                "overlay_sets[0].overlays[4].extra: unknown key (known: type, pct)",
                "overlay_sets[0].overlays[5].type: take_profit appears more than once in this overlay set",
                "overlay_sets[0].overlays[5].pct: must be a number (percent, e.g. 20 for 20 %), got '5'",
                "overlay_sets[0].overlays[6].type: is required (one of take_profit, stop_loss, trailing_stop, time_exit, "
                        + "take_profit_ladder, stop_ladder)",
                "overlay_sets[1].overlays[0].pct: is required",
                "overlay_sets[1].name: overlay set name a is already used by overlay_sets[0]; names must be unique",
                "overlay_sets[2].overlays: must be a list of overlays such as [{type: take_profit, pct: 50}, "
                        + "{type: stop_loss, pct: 20}]",
                "overlay_sets[3]: must be a mapping with name and overlays");
    }

    @Test
    void ladders_and_entry_rules_are_read() throws Exception {
        SweepSpec spec = parse(MINIMAL.replace("  - overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]", """
                  - overlays:
                      - {type: take_profit_ladder, levels: [{pct: 50, fraction: 0.5}, {pct: 100, fraction: 0.5}]}
                      - {type: stop_ladder, levels: [{pct: 10, fraction: 0.25}]}
                entry: {rule: limit, tolerance_pct: 2, window: 30m}""").replace("\n\n", "\n"));

        assertThat(spec.overlaySets().get(0).overlays()).containsExactly(
                new Overlay.TakeProfitLadder(List.of(new Overlay.Leg(50, 0.5), new Overlay.Leg(100, 0.5))),
                new Overlay.StopLadder(List.of(new Overlay.Leg(10, 0.25))));
        assertThat(spec.overlaySets().get(0).name()).isEqualTo("tpl50x0.5-100x0.5_sll10x0.25");
        assertThat(spec.entryRule()).isEqualTo(EntryRule.limit(2, 30 * 60_000L));
        assertThat(spec.canonicalText()).endsWith("entry=limit(tol=2%,window=30m)\n");
        assertThat(parse(MINIMAL + "entry: {rule: next_close}\n").entryRule()).isEqualTo(EntryRule.NEXT_CLOSE);
        // The default rule leaves the derived id as it was before entry rules existed.
        assertThat(parse(MINIMAL + "entry: {rule: next_open}\n").sweepId()).isEqualTo(parse(MINIMAL).sweepId());
        assertThat(parse(MINIMAL + "entry: {rule: next_close}\n").sweepId()).isNotEqualTo(parse(MINIMAL).sweepId());
    }

    @Test
    void ladder_and_entry_problems_are_reported_with_their_paths() {
        List<String> problems = problems("""
                calls: {snapshot: demo}
                intervals: [1m]
                entry_lags: [0s]
                time_frame: 1h
                entry: {rule: limit, tolerance_pct: -1, window: 2h}
                overlay_sets:
                  - overlays:
                      - {type: take_profit_ladder, levels: [{pct: 50, fraction: 0.7}, {pct: 40, fraction: 0.2}]}
                      - {type: take_profit, pct: 10}
                  - name: b
                    overlays:
                      - {type: stop_ladder, levels: [{pct: 10, fraction: 0.7}, {pct: 100, fraction: 0.2}]}
                  - name: c
                    overlays:
                      - {type: stop_ladder, levels: [{pct: 10, fraction: 0.7}, {pct: 20, fraction: 0.4}]}
                  - name: d
                    overlays:
                      - {type: take_profit_ladder, levels: [{pct: 10, fraction: 0}, {pct: 20}]}
                  - name: e
                    overlays:
                      - {type: take_profit_ladder, levels: []}
                """);

        assertThat(problems).containsExactly(
                "overlay_sets[0].overlays[0].levels[1].pct: levels must be in strictly ascending pct order",
                "overlay_sets[0].overlays: take_profit and take_profit_ladder cannot be combined (a take_profit is a "
                        + "one-leg ladder)",
                "overlay_sets[1].overlays[0].levels[1].pct: must be < 100 (a stop at or below zero never triggers)",
                "overlay_sets[2].overlays[0].levels: fractions add up to 1.1, more than 1 (the whole position)",
                "overlay_sets[3].overlays[0].levels[0].fraction: must be a number in (0, 1] (share of the position), got 0",
                "overlay_sets[3].overlays[0].levels[1].fraction: is required",
                "overlay_sets[4].overlays[0].levels: must not be empty",
                "entry.tolerance_pct: must be >= 0",
                "entry.window: must be > 0 and <= time_frame (1h)");
        assertThat(problems(MINIMAL + "entry: {rule: limt}\n")).containsExactly(
                "entry.rule: unknown entry rule 'limt' (known: next_open, next_close, limit); did you mean limit?");
        assertThat(problems(MINIMAL + "entry: {rule: next_close, window: 5m}\n")).containsExactly(
                "entry.window: unknown key (known: rule)");
        assertThat(problems(MINIMAL + "entry: {rule: limit}\n")).containsExactly("entry.window: is required");
    }

    @Test
    void identical_unnamed_overlay_sets_clash_on_their_derived_name() {
        List<String> problems = problems("""
                calls: {snapshot: demo}
                intervals: [1m]
                entry_lags: [0s]
                overlay_sets:
                  - overlays: [{type: take_profit, pct: 50}]
                  - overlays: [{type: take_profit, pct: 50}]
                """);

        assertThat(problems).containsExactly("overlay_sets[1]: overlay set name tp50 (derived from its overlays) is "
                + "already used by overlay_sets[0]; names must be unique");
    }

    @Test
    void all_problems_are_reported_together() {
        InvalidSweepSpecException exception = catchThrowableOfType(InvalidSweepSpecException.class, () -> parse("""
                calls: {snapshot: demo, artifact_id: abc}
                intervals: [7m]
                entry_lags: [soon]
                overlay_sets: []
                fees: {taker_bps: 20000}
                notional: 5
                """));

        assertThat(exception.problems()).extracting(SpecProblem::toString).containsExactly(
                "notional: unknown key (known: sweep_id, calls, intervals, entry_lags, overlay_sets, fees, slippage_bps, "
                        + "notional_usd, time_frame, parallelism, chunk_rows, entry)",
                "calls: must be a mapping with exactly one of artifact_id, logical_key, snapshot (found 2)",
                "intervals[0]: unknown interval '7m' (known: 1s, 15s, 1m, 5m, 15m, 1h, 4h, 1d)",
                "entry_lags[0]: must be a duration such as 0s, 500ms, 30s, 5m, 4h or 1d, got 'soon'",
                "fees.taker_bps: must be <= 10000",
                "overlay_sets: must not be empty");
        assertThat(exception.getMessage()).startsWith("6 problems in test.yaml:\n  notional: unknown key");
    }

    @Test
    void missing_required_keys_are_each_reported() {
        assertThat(problems("fees: {taker_bps: 30}\n")).containsExactly(
                "calls: is required", "intervals: is required", "entry_lags: is required", "overlay_sets: is required");
    }

    @Test
    void calls_needs_exactly_one_source() {
        assertThat(problems(MINIMAL.replace("calls: {snapshot: demo}", "calls: {}"))).containsExactly(
                "calls: must be a mapping with exactly one of artifact_id, logical_key, snapshot");
        assertThat(problems(MINIMAL.replace("calls: {snapshot: demo}", "calls: {snapshot: ''}"))).containsExactly(
                "calls.snapshot: must be a non-empty string");
        assertThat(problems(MINIMAL.replace("calls: {snapshot: demo}", "calls: demo"))).containsExactly(
                "calls: must be a mapping with exactly one of artifact_id, logical_key, snapshot");
    }

    @Test
    void duplicate_keys_and_broken_yaml_are_rejected() {
        assertThat(problems(MINIMAL + "intervals: [5m]\n")).singleElement().asString()
                .startsWith("(file): not valid YAML").contains("Duplicate field 'intervals'");
        assertThat(problems("intervals: [1m\n")).singleElement().asString().startsWith("(file): not valid YAML (line ");
        assertThat(problems("")).containsExactly("(file): the file is empty");
        assertThat(problems("- a\n- b\n")).singleElement().asString().startsWith("(root): must be a mapping");
    }

    @Test
    void durations_parse_and_format_canonically() {
        assertThat(Durations.parseMillis("0s")).contains(0L);
        assertThat(Durations.parseMillis("500ms")).contains(500L);
        assertThat(Durations.parseMillis("30s")).contains(30_000L);
        assertThat(Durations.parseMillis("5m")).contains(300_000L);
        assertThat(Durations.parseMillis("24h")).contains(86_400_000L);
        assertThat(Durations.parseMillis("1d")).contains(86_400_000L);
        assertThat(Durations.parseMillis("30")).isEmpty();
        assertThat(Durations.parseMillis("-5s")).isEmpty();
        assertThat(Durations.format(0)).isEqualTo("0s");
        assertThat(Durations.format(90_000)).isEqualTo("90s");
        assertThat(Durations.format(1_500)).isEqualTo("1500ms");
        assertThat(Durations.format(86_400_000)).isEqualTo("1d");
        assertThatThrownBy(() -> Durations.format(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
