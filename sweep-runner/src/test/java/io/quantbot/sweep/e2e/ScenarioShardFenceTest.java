package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.ScenarioLeases;
import io.quantbot.sweep.remote.ScenarioOutcome;
import io.quantbot.sweep.remote.ScenarioShard;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.remote.SweepCheckpoints;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The attempt fence: two attempts of the same shard (a retried task racing its straggler, a speculative copy) run at the
 * same time against one daemon; every scenario is written by exactly one of them and only verified by the other.
 */
class ScenarioShardFenceTest {
    private static final int CALLS = 120;

    @Test
    void two_concurrent_attempts_of_one_shard_write_each_scenario_once() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        daemon.importSnapshot("fence-snapshot", 10, 1, CALLS, 4, 11);
        SweepSpec spec = new SweepSpecLoader().parse("""
                sweep_id: fence-sweep
                calls: {snapshot: fence-snapshot}
                intervals: [1m]
                entry_lags: [0s, 1m]
                overlay_sets:
                  - {name: tp50_sl20, overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]}
                  - {name: tr20, overlays: [{type: trailing_stop, pct: 20}]}
                  - {name: hold, overlays: []}
                chunk_rows: 50
                parallelism: 2
                """, "fence.yaml");
        Artifact alerts = CallsArtifacts.resolve(daemon.client().artifacts(), spec.calls());
        SweepCalls calls = new SweepCalls(CallsArtifacts.load(daemon.client().artifacts(), alerts));
        SweepMetadata metadata = new SweepMetadata(RunnerBuild.current(), SweepMetadata.specHash(spec), "test", "test", 0,
                spec.calls().describe(), alerts.getId(), alerts.getContentHash());
        List<String> ids = spec.scenarios().stream().map(Scenario::id).toList();

        CyclicBarrier start = new CyclicBarrier(2);
        List<CompletableFuture<ScenarioShard.Result>> attempts = List.of("attempt 0", "attempt 1").stream()
                .map(owner -> CompletableFuture.supplyAsync(() -> {
                    try (ScenarioLeases leases = new ScenarioLeases(daemon.client().state(), owner, Duration.ofSeconds(10))) {
                        ScenarioShard shard = new ScenarioShard(daemon.client(), spec, alerts.getId(), metadata, calls,
                                new SdkCandleSource(daemon.client().artifacts()), leases, 2);
                        start.await();
                        return shard.run(ids);
                    }
                    catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })).toList();
        ScenarioShard.Result first = attempts.get(0).get();
        ScenarioShard.Result second = attempts.get(1).get();

        Set<String> writtenFirst = written(first);
        Set<String> writtenSecond = written(second);
        Set<String> both = new HashSet<>(writtenFirst);
        both.retainAll(writtenSecond);
        assertThat(both).as("scenarios written by both attempts").isEmpty();
        Set<String> all = new HashSet<>(writtenFirst);
        all.addAll(writtenSecond);
        assertThat(all).containsExactlyInAnyOrderElementsOf(ids);
        for (ScenarioShard.Result result : List.of(first, second)) {
            assertThat(result.outcomes()).allMatch(ScenarioOutcome::succeeded);
            Set<String> seen = new HashSet<>(written(result));
            result.verified().forEach(checkpoint -> seen.add(checkpoint.scenarioId()));
            assertThat(seen).as("each attempt accounts for every scenario").containsExactlyInAnyOrderElementsOf(ids);
        }
        Map<String, List<Run>> runs = daemon.client().artifacts().listRuns("fence-sweep").toList().stream()
                .collect(Collectors.groupingBy(Run::getScenarioId));
        assertThat(runs).hasSize(ids.size());
        runs.forEach((scenario, its) -> {
            assertThat(its).as(scenario).singleElement().satisfies(run -> {
                assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
                assertThat(run.getRowCount()).isEqualTo(CALLS);
            });
        });
        assertThat(new SweepCheckpoints(daemon.client().state()).completed("fence-sweep")).hasSize(ids.size());
        assertThat(daemon.client().state().list(ScenarioLeases.NAMESPACE, "fence-sweep/").toList())
                .as("leases released").isEmpty();
    }

    private static Set<String> written(ScenarioShard.Result result) {
        return result.outcomes().stream().map(ScenarioOutcome::scenarioId).collect(Collectors.toSet());
    }
}
