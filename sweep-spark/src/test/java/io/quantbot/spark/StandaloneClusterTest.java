package io.quantbot.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.sweep.remote.ScenarioLeases;
import io.quantbot.sweep.remote.SweepCheckpoints;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The demo sweep file on a standalone Spark cluster on loopback (a master and two worker JVMs started here): complete,
 * with speculative execution turned up, and with one worker SIGKILLed mid-sweep. Each time every (scenario, call) result
 * exists exactly once and the daemon spawned no Python worker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
    private static final Pattern EXECUTOR = Pattern.compile("on executor ([^\"\\s]+)");
    private static StandaloneCluster cluster;
    private static TestDaemon daemon;

    @BeforeAll
    static void startCluster() throws Exception {
        daemon = TestDaemon.get();
        cluster = new StandaloneCluster(2);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> args(String sweepId, String... extraOptions) {
        List<String> args = new ArrayList<>(List.of("run", TestDaemon.DEMO_SPEC.toString(), "--sweep-id", sweepId,
                "--target", daemon.target(), "--no-progress", "--no-report", "--top", "3", "--engine", "spark",
                "--master", cluster.masterUrl(), "--engine-option", "shard-scenarios=8", "--engine-option", "lease-ttl-ms=4000"));
        for (String option : cluster.engineOptions()) {
            args.add("--engine-option");
            args.add(option);
        }
        for (String option : extraOptions) {
            args.add("--engine-option");
            args.add(option);
        }
        return args;
    }

    private static TestDaemon.Outcome sweep(List<String> args) {
        TestDaemon.Outcome outcome = TestDaemon.cli(args.toArray(String[]::new));
        System.err.println(outcome.err());
        assertThat(outcome.code()).as(outcome.err() + "\n" + cluster.logs()).isZero();
        return outcome;
    }

    @Test
    @Order(1)
    void the_demo_sweep_completes_on_two_workers_exactly_once() throws Exception {
        long spawns = daemon.spawnCount();
        TestDaemon.Outcome outcome = sweep(args("cluster-full"));
        assertThat(outcome.err()).contains("master " + cluster.masterUrl()).contains("12 tasks of up to 8 scenarios")
                .contains("ran 96 scenarios (57,600 backtests)").contains("python worker spawns during sweep: 0");
        assertThat(outcome.out()).contains("by_overlay");
        assertThat(daemon.spawnCount()).isEqualTo(spawns);
        ExactlyOnce.check(daemon.client, "cluster-full", 96, TestDaemon.CALLS);
    }

    @Test
    @Order(2)
    void speculative_copies_add_nothing() throws Exception {
        long spawns = daemon.spawnCount();
        TestDaemon.Outcome outcome = sweep(args("cluster-speculation", "spark.speculation=true",
                "spark.speculation.interval=50ms", "spark.speculation.quantile=0.1", "spark.speculation.multiplier=0.5",
                "spark.speculation.minTaskRuntime=0ms", "spark.speculation.efficiency.enabled=false"));
        Matcher copies = Pattern.compile("; ([0-9]+) speculative copies;").matcher(outcome.err());
        assertThat(copies.find()).as(outcome.err()).isTrue();
        assertThat(Integer.parseInt(copies.group(1))).as("speculative copies started").isPositive();
        assertThat(outcome.err()).contains("ran 96 scenarios (57,600 backtests)").contains("python worker spawns during sweep: 0");
        assertThat(daemon.spawnCount()).isEqualTo(spawns);
        ExactlyOnce.check(daemon.client, "cluster-speculation", 96, TestDaemon.CALLS);
    }

    @Test
    @Order(3)
    void a_worker_killed_mid_sweep_leaves_the_sweep_to_the_other_exactly_once() throws Exception {
        long spawns = daemon.spawnCount();
        CompletableFuture<TestDaemon.Outcome> running = CompletableFuture.supplyAsync(() -> sweep(args("cluster-kill")));
        // Mid-sweep: some scenarios recorded, and a task of an executor we can place holding a lease (it is uploading).
        AtomicReference<StandaloneCluster.Worker> victim = new AtomicReference<>();
        Await.until("a task uploading on a known worker, mid-sweep", Duration.ofMinutes(3), () -> {
            if (running.isDone()) {
                return true;
            }
            int recorded = daemon.client.state().list(SweepCheckpoints.NAMESPACE, "cluster-kill/").toList().size();
            if (recorded < 8) {
                return false;
            }
            for (StateEntry lease : daemon.client.state().list(ScenarioLeases.NAMESPACE, "cluster-kill/").toList()) {
                Matcher executor = EXECUTOR.matcher(lease.getValue().getJson());
                if (executor.find()) {
                    try {
                        Optional<StandaloneCluster.Worker> worker = cluster.workerOf(executor.group(1));
                        if (worker.isPresent()) {
                            victim.set(worker.get());
                            return true;
                        }
                    }
                    catch (java.io.IOException e) {
                        return false;
                    }
                }
            }
            return false;
        });
        assertThat(victim.get()).as("the sweep was still running when a worker could be killed").isNotNull();
        StandaloneCluster.kill(victim.get());
        assertThat(victim.get().process().waitFor(30, TimeUnit.SECONDS)).isTrue();

        TestDaemon.Outcome outcome = running.get(5, TimeUnit.MINUTES);
        assertThat(outcome.err()).contains("ExecutorLostFailure").contains("ran 96 scenarios (57,600 backtests)")
                .contains("python worker spawns during sweep: 0");
        assertThat(daemon.spawnCount()).isEqualTo(spawns);
        ExactlyOnce.check(daemon.client, "cluster-kill", 96, TestDaemon.CALLS);
        assertThat(cluster.runningWorkers()).isEqualTo(1);
    }
}
