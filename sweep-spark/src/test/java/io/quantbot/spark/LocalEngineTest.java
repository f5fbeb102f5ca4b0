package io.quantbot.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code run --engine spark --master local[2]} against {@code run}, on the repository's demo sweep file. */
class LocalEngineTest {
    private static final Pattern CANDLES = Pattern.compile("candles: ([0-9,]+) series in ([0-9,]+) BatchGetCandles calls");

    @Test
    void the_demo_sweep_on_local2_gives_the_leaderboards_of_run_exactly_once_without_spawning() throws Exception {
        TestDaemon daemon = TestDaemon.get();
        String spec = TestDaemon.DEMO_SPEC.toString();
        String[] common = {"--target", daemon.target(), "--no-progress", "--no-report", "--top", "0", "--output", "csv",
            "--leaderboard", "by_overlay,by_lag_interval,by_caller,by_scenario,overall"};

        TestDaemon.Outcome local = TestDaemon.cli(concat(new String[] {"run", spec, "--sweep-id", "local-reference"}, common));
        assertThat(local.code()).as(local.err()).isZero();

        long spawnsBefore = daemon.spawnCount();
        TestDaemon.Outcome spark = TestDaemon.cli(concat(new String[] {"run", spec, "--sweep-id", "spark-local",
            "--engine", "spark", "--master", "local[2]", "--engine-option", "spark.ui.enabled=false"}, common));
        assertThat(spark.code()).as(spark.err()).isZero();
        assertThat(spark.err()).contains("python worker spawns during sweep: 0")
                .contains("master local[2]").containsPattern("task [0-9]+/[0-9]+ done")
                .contains("ran 96 scenarios (57,600 backtests)");
        assertThat(daemon.spawnCount()).isEqualTo(spawnsBefore);
        System.err.println(spark.err());
        // The same leaderboards, by_scenario included (means up to the last bits of a double: see Leaderboards).
        Leaderboards.assertSame(spark.out(), local.out());
        // Candles once per executor JVM: local[2] is one JVM, which fetches exactly what run fetched for the whole sweep.
        assertThat(candles(spark.err())).isEqualTo(candles(local.err()));
        ExactlyOnce.check(daemon.client, "spark-local", 96, TestDaemon.CALLS);

        TestDaemon.Outcome again = TestDaemon.cli(concat(new String[] {"run", spec, "--sweep-id", "spark-local",
            "--engine", "spark", "--master", "local[2]"}, common));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("skipping 96 scenarios completed before, 0 to run")
                .contains("all 96 scenarios were completed before; nothing to run");
        assertThat(again.out()).isEqualTo(spark.out());
        ExactlyOnce.check(daemon.client, "spark-local", 96, TestDaemon.CALLS);
    }

    private static String candles(String err) {
        Matcher matcher = CANDLES.matcher(err);
        assertThat(matcher.find()).as("a candles line in " + err).isTrue();
        return matcher.group(1);
    }

    static String[] concat(String[] first, String[] second) {
        String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
