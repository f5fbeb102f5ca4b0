package io.quantbot.sweep.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardCalculator;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.results.ResultBatch;
import io.quantbot.sweep.results.ResultColumn;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.snapshot.Snapshot;
import io.quantbot.sweep.snapshot.SnapshotCandleSource;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.snapshot.SnapshotReader;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSweepTest {
    @TempDir
    static Path folder;
    static Snapshot snapshot;

    @BeforeAll
    static void generate() throws Exception {
        new SnapshotGenerator(new SnapshotOptions(30, 2, 200, 10, 11, SnapshotOptions.DEFAULT_START_MILLIS,
                List.of(CandleInterval.ONE_MINUTE)), 2).generate(folder);
        snapshot = new SnapshotReader(2).read(folder);
    }

    private static LocalSweepResult run(int parallelism) throws Exception {
        SweepSpec demo = new SweepSpecLoader(parallelism).load(Path.of("examples/demo-sweep.yaml"));
        ProgressReporter quiet = new ProgressReporter("test", 0, ProgressReporter.Mode.OFF,
                new PrintWriter(new StringWriter()));
        return new LocalSweep(demo).run(snapshot.calls(), new SnapshotCandleSource(snapshot), quiet);
    }

    @Test
    void every_scenario_gets_a_row_per_call_and_results_do_not_depend_on_threads() throws Exception {
        LocalSweepResult single = run(1);
        LocalSweepResult parallel = run(3);

        assertThat(single.backtests()).isEqualTo(96L * 200);
        assertThat(single.scenarios()).hasSize(96);
        for (int index = 0; index < 96; index++) {
            ScenarioResults one = single.scenarios().get(index);
            ScenarioResults other = parallel.scenarios().get(index);
            assertThat(one.isComplete()).isTrue();
            assertThat(one.chunks(64)).isEqualTo(other.chunks(64));
            assertThat(one.summary()).isEqualTo(other.summary());
        }
    }

    @Test
    void the_requested_candle_window_gives_the_same_rows_as_whole_series() throws Exception {
        SweepSpec demo = new SweepSpecLoader(2).load(Path.of("examples/demo-sweep.yaml"));
        ProgressReporter quiet = new ProgressReporter("test", 0, ProgressReporter.Mode.OFF,
                new PrintWriter(new StringWriter()));
        CandleSource wholeSeries = requests -> requests.stream()
                .map(request -> snapshot.series(request.chain(), request.token(), request.interval())
                        .orElseGet(() -> CandleSeries.empty(request.interval())))
                .toList();

        LocalSweepResult windowed = new LocalSweep(demo).run(snapshot.calls(), new SnapshotCandleSource(snapshot), quiet);
        LocalSweepResult whole = new LocalSweep(demo).run(snapshot.calls(), wholeSeries, quiet);

        for (int index = 0; index < windowed.scenarios().size(); index++) {
            assertThat(windowed.scenarios().get(index).chunks(500)).isEqualTo(whole.scenarios().get(index).chunks(500));
        }
    }

    @Test
    void rows_cover_exit_and_skip_reasons_and_leaderboards_count_everything() throws Exception {
        LocalSweepResult result = run(2);
        Set<String> reasons = new TreeSet<>();
        for (ScenarioResults scenario : result.scenarios()) {
            for (ResultBatch chunk : scenario.chunks(2_000)) {
                ResultColumn.DictionaryStringColumn exits = (ResultColumn.DictionaryStringColumn) chunk.column("exit_reason");
                ResultColumn.DictionaryStringColumn skips = (ResultColumn.DictionaryStringColumn) chunk.column("skip_reason");
                for (int row = 0; row < chunk.rowCount(); row++) {
                    reasons.add(exits.value(row) != null ? exits.value(row) : "skip:" + skips.value(row));
                }
            }
        }
        assertThat(reasons).contains("take_profit", "stop_loss", "trailing_stop", "time_exit");
        assertThat(reasons).anySatisfy(reason -> assertThat(reason).startsWith("skip:"));

        for (String name : LeaderboardCalculator.NAMES) {
            Leaderboard leaderboard = LeaderboardCalculator.compute(name, result.scenarios());
            long total = leaderboard.rows().stream().mapToLong(row -> row.count() + row.skipped()).sum();
            assertThat(total).as(name).isEqualTo(96L * 200);
            assertThat(leaderboard.rows()).as(name).allSatisfy(row -> assertThat(
                    row.skipReasons().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(row.skipped()));
            assertThat(leaderboard.rows()).as(name).isSortedAccordingTo((left, right) ->
                    Double.compare(Double.isNaN(right.mean()) ? -1e9 : right.mean(), Double.isNaN(left.mean()) ? -1e9 : left.mean()));
        }
        assertThat(LeaderboardCalculator.compute(LeaderboardCalculator.BY_OVERLAY, result.scenarios()).rows()).hasSize(12);
        assertThat(LeaderboardCalculator.compute(LeaderboardCalculator.BY_LAG_INTERVAL, result.scenarios()).rows())
                .hasSize(8);
    }
}
