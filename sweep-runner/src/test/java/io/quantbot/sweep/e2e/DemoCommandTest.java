package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's main command against a real daemon: the demo generates the 200-token snapshot into the daemon's
 * import root, imports it and runs the example sweep, 192,000 backtests, with zero spawns.
 */
@Tag("python")
class DemoCommandTest {
    @Test
    void demo_generates_imports_and_sweeps_the_example_through_the_daemon() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        long spawnsBefore = daemon.spawnCount();

        Sweeps.Result result = Sweeps.run("demo", "--target", daemon.target(), "--no-progress", "--top", "3",
                "--sweep-id", "demo-test");
        result.err().lines().filter(line -> !line.startsWith("[")).forEach(System.out::println);

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(Files.isRegularFile(daemon.dataDir().resolve("imports/demo-42/calls/calls.csv"))).isTrue();
        assertThat(result.err()).contains("imported snapshot demo: 201 artifacts")
                .contains("sweep demo-test: 96 scenarios × 2,000 calls = 192,000 backtests; none done before")
                .contains("ran 96 scenarios (192,000 backtests)")
                .containsPattern("report: /\\S+\\.html")
                .contains("python worker spawns during sweep: 0");
        assertThat(result.out()).contains("by_overlay (top 3 of 12, by mean; net returns)")
                .contains("by_lag_interval (top 3 of 8, by mean; net returns)")
                .contains("by_caller (top 3 of 20, by mean; net returns)");
        assertThat(daemon.spawnCount()).isEqualTo(spawnsBefore);
        List<Run> runs = Sweeps.runs(daemon.client(), "demo-test");
        assertThat(runs).hasSize(96).allSatisfy(run -> {
            assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
            assertThat(run.getRowCount()).isEqualTo(2_000);
        });

        // Issue 11 item 6: the second demo does not redo work. The same snapshot files are recognised by their manifest
        // hash and not imported again; the same sweep id finds every scenario done.
        Sweeps.Result again = Sweeps.run("demo", "--target", daemon.target(), "--no-progress", "--top", "3", "--sweep-id", "demo-test");
        again.err().lines().filter(line -> !line.startsWith("[")).forEach(System.out::println);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("snapshot demo already imported (manifest sha256:").contains("import skipped in ")
                .doesNotContain("imported snapshot demo:")
                .contains("python worker spawns during sweep: 0");
    }
}
