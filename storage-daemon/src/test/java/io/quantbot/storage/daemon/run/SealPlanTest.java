package io.quantbot.storage.daemon.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which runs are sealed together and what each seal is called, decided without any storage. */
class SealPlanTest {
    private static RunRecord run(String id, String sweep, RunStatus status, Optional<String> sealedAs, List<String> inputs) {
        return new RunRecord(id, sweep, "sc-" + id, status, "{}", inputs, Map.of(), Optional.empty(), 1, 2, Map.of(), "", SealMode.SWEEP,
                sealedAs, 10, 1);
    }

    @Test
    void succeededRunsAreSealedTogetherAndEveryOtherFinishedRunAlone() {
        RunRecord a = run("run_A", "sw", RunStatus.SUCCEEDED, Optional.empty(), List.of("art_1"));
        RunRecord failed = run("run_B", "sw", RunStatus.FAILED, Optional.empty(), List.of("art_1"));
        RunRecord running = run("run_C", "sw", RunStatus.RUNNING, Optional.empty(), List.of("art_1"));
        RunRecord sealed = run("run_D", "sw", RunStatus.SUCCEEDED, Optional.of("art_9"), List.of("art_1"));
        RunRecord b = run("run_E", "sw", RunStatus.SUCCEEDED, Optional.empty(), List.of("art_2"));
        RunRecord cancelled = run("run_F", "sw", RunStatus.CANCELLED, Optional.empty(), List.of());
        assertThat(SealPlan.groups(List.of(a, failed, running, sealed, b, cancelled)))
                .containsExactly(List.of(failed), List.of(cancelled), List.of(a, b));
        assertThat(SealPlan.groups(List.of(running, sealed))).isEmpty();
    }

    @Test
    void aSealIsNamedByItsSweepAndRuns() {
        RunRecord a = run("run_A", "sw", RunStatus.SUCCEEDED, Optional.empty(), List.of("art_1", "art_2"));
        RunRecord b = run("run_B", "sw", RunStatus.SUCCEEDED, Optional.empty(), List.of("art_2", "art_3"));
        SealPlan together = SealPlan.of(List.of(a, b));
        assertThat(together.logicalKey()).isEqualTo("sweep=sw/runs=run_A+1");
        assertThat(together.tags()).containsExactlyInAnyOrderEntriesOf(Map.of("sweep_id", "sw", "run_status", "succeeded"));
        assertThat(together.inputIds()).containsExactly("art_1", "art_2", "art_3");
        assertThat(together.paramsJson()).isEqualTo("{\"runs\": 2}");

        RunRecord failed = run("run_F", "sw", RunStatus.FAILED, Optional.empty(), List.of("art_1"));
        SealPlan alone = SealPlan.of(List.of(failed));
        assertThat(alone.logicalKey()).isEqualTo("sweep=sw/run=run_F");
        assertThat(alone.tags()).containsEntry("run_status", "failed").containsEntry("run_id", "run_F").containsEntry("scenario_id", "sc-run_F");

        assertThatThrownBy(() -> SealPlan.of(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SealPlan.of(List.of(a, run("run_X", "other", RunStatus.SUCCEEDED, Optional.empty(), List.of()))))
                .hasMessageContaining("one sweep");
    }
}
