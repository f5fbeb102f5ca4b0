package io.quantbot.sweep.leaderboard;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.results.ReturnStatistics;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.spec.Durations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Leaderboards computed in memory from scenario results: what the daemon's AnalyzeSweep computes
 * over stored rows, for local runs and as a cross-check.
 */
public final class LeaderboardCalculator {
    public static final String BY_OVERLAY = "by_overlay";
    public static final String BY_LAG_INTERVAL = "by_lag_interval";
    public static final String BY_CALLER = "by_caller";
    public static final String BY_SCENARIO = "by_scenario";
    /** Every row as one group (no dimensions): the sweep's coverage and skip reasons. */
    public static final String OVERALL = "overall";
    public static final List<String> NAMES = List.of(BY_OVERLAY, BY_LAG_INTERVAL, BY_CALLER, BY_SCENARIO, OVERALL);

    private LeaderboardCalculator() {}

    public static Leaderboard compute(String name, List<ScenarioResults> results) {
        requireNonNull(name, "name is null");
        requireNonNull(results, "results is null");
        return switch (name) {
            case BY_OVERLAY -> group(name, List.of("overlay_set"), false, results,
                    (scenario, slot) -> List.of(scenario.scenario().overlaySet().name()));
            case BY_LAG_INTERVAL -> group(name, List.of("interval", "lag"), false, results,
                    (scenario, slot) -> List.of(scenario.scenario().interval().label(),
                            Durations.format(scenario.scenario().lagMillis())));
            case BY_CALLER -> group(name, List.of("caller"), true, results,
                    (scenario, slot) -> List.of(scenario.calls().get(slot).caller()));
            case BY_SCENARIO -> group(name, List.of("scenario_id"), false, results,
                    (scenario, slot) -> List.of(scenario.scenario().id()));
            case OVERALL -> group(name, List.of(), false, results, (scenario, slot) -> List.of());
            default -> throw new IllegalArgumentException("unknown leaderboard " + name + " (known: " + NAMES + ")");
        };
    }

    /** @param perCall whether the key depends on the call; otherwise it is computed once per scenario */
    private static Leaderboard group(String name, List<String> dimensions, boolean perCall,
            List<ScenarioResults> results, BiFunction<ScenarioResults, Integer, List<String>> keyOf) {
        Map<List<String>, Group> groups = new LinkedHashMap<>();
        for (ScenarioResults scenario : results) {
            Group scenarioGroup = perCall ? null : groups.computeIfAbsent(keyOf.apply(scenario, 0), key -> new Group());
            for (int slot = 0; slot < scenario.size(); slot++) {
                Group group = perCall ? groups.computeIfAbsent(keyOf.apply(scenario, slot), key -> new Group()) : scenarioGroup;
                if (scenario.isTradeable(slot)) {
                    group.add(scenario.netReturn(slot));
                }
                else {
                    group.skipped++;
                    group.skipReasons.merge(scenario.skipReason(slot).label(), 1L, Long::sum);
                }
            }
        }
        List<LeaderboardRow> rows = new ArrayList<>(groups.size());
        for (Map.Entry<List<String>, Group> entry : groups.entrySet()) {
            Group group = entry.getValue();
            ReturnStatistics statistics = ReturnStatistics.ofUnsorted(group.values, group.count);
            rows.add(new LeaderboardRow(entry.getKey(), statistics.count(), statistics.mean(), statistics.p5(),
                    statistics.p50(), statistics.p95(), statistics.winRate(), group.skipped, group.skipReasons));
        }
        rows.sort(BEST_FIRST);
        return new Leaderboard(name, dimensions, rows);
    }

    /** Mean net return descending, groups without trades last, then keys for a stable order. */
    static final Comparator<LeaderboardRow> BEST_FIRST = Comparator
            .comparingDouble((LeaderboardRow row) -> Double.isNaN(row.mean()) ? Double.NEGATIVE_INFINITY : row.mean())
            .reversed()
            .thenComparing(row -> String.join("\u0000", row.keys()));

    private static final class Group {
        private double[] values = new double[64];
        private int count;
        private long skipped;
        private final Map<String, Long> skipReasons = new TreeMap<>();

        void add(double value) {
            if (count == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[count++] = value;
        }
    }
}
