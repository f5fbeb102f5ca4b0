package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.sweep.cli.TestCommands;
import io.quantbot.sweep.optimize.Optimizer;
import io.quantbot.sweep.optimize.SearchSpace;
import io.quantbot.sweep.optimize.TrialStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sweep-runner optimize} through a real daemon: calls and candles over ArtifactPort, trials recorded in
 * StatePort batch by batch, one optimize_trials artifact per group, no Python spawned; an optimize interrupted
 * mid-group and rerun ends with exactly the trials of an uninterrupted run with the same seed.
 */
@Tag("python")
class OptimizeCommandTest {
    private static final String SNAPSHOT = "e2e-optimize";

    @TempDir
    static Path specs;

    private static SharedDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = SharedDaemon.get();
        daemon.importSnapshot(SNAPSHOT, 20, 2, 240, 3, 11);
    }

    private static Path spec(String id, String sampler, int trials, String extra) throws Exception {
        return Sweeps.writeSpec(specs, id, """
                calls: {snapshot: %s}
                intervals: [1m]
                entry_lags: [0s]
                time_frame: 48h
                parallelism: 2
                fees: {taker_bps: 25}
                optimize:
                  id: %s
                  sampler: %s
                  trials: %d
                  folds: 3
                  seed: 5
                  batch_size: 4
                  min_calls: 20
                  top: 3
                %s""".formatted(SNAPSHOT, id, sampler, trials, extra));
    }

    @Test
    void optimizes_each_caller_stores_trials_and_spawns_nothing() throws Exception {
        long spawns = daemon.spawnCount();
        TestCommands.Outcome result = TestCommands.optimize((group, done) -> {}, "optimize", spec("opt-e2e-tpe", "tpe", 24, "").toString(),
                "--target", daemon.target(), "--no-progress");
        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.err()).contains("optimize opt-e2e-tpe: tpe sampler, 24 trials × 3 folds per group, 3 groups of 240 calls (by caller)",
                "python worker spawns during optimize: 0");
        assertThat(result.out()).contains("best policy per group", "in_sample", "out_of_sample", "overfit_gap", "top 3 policies of");
        assertThat(daemon.spawnCount()).isEqualTo(spawns);

        List<Artifact> artifacts = daemon.client().artifacts().listArtifacts(ListArtifactsRequest.newBuilder().setType("optimize_trials")
                .putTags("optimize_id", "opt-e2e-tpe").setPageSize(100).build()).toList();
        assertThat(artifacts).hasSize(3);
        TrialStore store = new TrialStore(daemon.client().state(), "opt-e2e-tpe");
        for (Artifact artifact : artifacts) {
            List<Optimizer.Trial> trials = store.load(artifact.getTagsMap().get("group_key"), SearchSpace.DEFAULT);
            assertThat(trials).hasSize(24);
            // One row per trial and fold it ran (pruned trials stop early).
            assertThat(artifact.getRowCount()).isEqualTo(trials.stream().mapToLong(trial -> trial.folds().size()).sum());
            assertThat(artifact.getColumnsList()).extracting(column -> column.getName())
                    .containsExactlyElementsOf(io.quantbot.sweep.optimize.TrialRows.columnNames());
        }

        // A rerun replays everything from StatePort, computes nothing, and republishes the same content.
        TestCommands.Outcome again = TestCommands.optimize((group, done) -> {}, "optimize", spec("opt-e2e-tpe", "tpe", 24, "").toString(),
                "--target", daemon.target(), "--no-progress");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("0 trials computed (72 replayed from StatePort)");
        assertThat(again.out()).isEqualTo(result.out());
    }

    @Test
    void an_interrupted_optimize_continues_to_exactly_the_uninterrupted_trials() throws Exception {
        TestCommands.Outcome whole = TestCommands.optimize((group, done) -> {}, "optimize", spec("opt-e2e-whole", "random", 16, "").toString(),
                "--target", daemon.target(), "--no-progress");
        assertThat(whole.code()).as(whole.err()).isZero();

        // Killed after 8 trials of the second group (the first is complete by then).
        AtomicBoolean killed = new AtomicBoolean();
        int[] groupsSeen = {0};
        String[] current = {null};
        TestCommands.Outcome cut = TestCommands.optimize((group, done) -> {
            if (!group.equals(current[0])) {
                current[0] = group;
                groupsSeen[0]++;
            }
            if (groupsSeen[0] == 2 && done == 8 && killed.compareAndSet(false, true)) {
                throw new IllegalStateException("killed for the test");
            }
        }, "optimize", spec("opt-e2e-cut", "random", 16, "").toString(), "--target", daemon.target(), "--no-progress");
        assertThat(cut.code()).isEqualTo(1);
        assertThat(killed).isTrue();

        TestCommands.Outcome resumed = TestCommands.optimize((group, done) -> {}, "optimize", spec("opt-e2e-cut", "random", 16, "").toString(),
                "--target", daemon.target(), "--no-progress");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("(24 replayed from StatePort)");
        assertThat(resumed.out()).isEqualTo(whole.out());

        TrialStore wholeStore = new TrialStore(daemon.client().state(), "opt-e2e-whole");
        TrialStore cutStore = new TrialStore(daemon.client().state(), "opt-e2e-cut");
        List<Artifact> groups = daemon.client().artifacts().listArtifacts(ListArtifactsRequest.newBuilder().setType("optimize_trials")
                .putTags("optimize_id", "opt-e2e-whole").setPageSize(100).build()).toList();
        assertThat(groups).hasSize(3);
        for (Artifact artifact : groups) {
            String group = artifact.getTagsMap().get("group_key");
            List<Optimizer.Trial> a = wholeStore.load(group, SearchSpace.DEFAULT);
            List<Optimizer.Trial> b = cutStore.load(group, SearchSpace.DEFAULT);
            assertThat(b).hasSize(16).hasSameSizeAs(a);
            for (int index = 0; index < a.size(); index++) {
                assertThat(b.get(index).unit()).containsExactly(a.get(index).unit());
                assertThat(b.get(index).policy()).isEqualTo(a.get(index).policy());
                assertThat(b.get(index).score()).isEqualTo(a.get(index).score());
                assertThat(b.get(index).pruned()).isEqualTo(a.get(index).pruned());
                assertThat(b.get(index).folds()).isEqualTo(a.get(index).folds());
            }
        }
    }

    @Test
    void bad_files_and_a_reused_id_are_refused_with_every_problem() throws Exception {
        Path bad = Sweeps.writeSpec(specs, "opt-bad", """
                calls: {snapshot: %s}
                intervals: [1m, 5m]
                entry_lags: [0s]
                overlay_sets: [{name: x, overlays: []}]
                optimize: {sampler: annealing, trials: 0, wat: 1, search: {take_profit_pct: [500, 10]}}
                """.formatted(SNAPSHOT));
        TestCommands.Outcome result = TestCommands.optimize((group, done) -> {}, "optimize", bad.toString(), "--target", daemon.target());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("intervals:", "overlay_sets:", "optimize.sampler:", "optimize.trials:", "optimize.wat:",
                "optimize.search.take_profit_pct:");

        TestCommands.Outcome first = TestCommands.optimize((group, done) -> {}, "optimize", spec("opt-e2e-reuse", "grid", 4, "").toString(),
                "--target", daemon.target(), "--no-progress");
        assertThat(first.code()).as(first.err()).isZero();
        TestCommands.Outcome other = TestCommands.optimize((group, done) -> {}, "optimize", spec("opt-e2e-reuse", "grid", 8, "").toString(),
                "--target", daemon.target(), "--no-progress");
        assertThat(other.code()).isEqualTo(2);
        assertThat(other.err()).contains("was used before with other settings");
    }
}
