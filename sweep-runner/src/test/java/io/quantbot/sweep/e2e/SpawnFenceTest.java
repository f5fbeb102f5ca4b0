package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.ServerInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run-time half of the worker-pool fence (issue 6): a sweep of 10,000 runs through a real daemon with
 * real Python workers leaves the daemon's worker spawn count where it was. Every per-run call (CreateRun,
 * AppendRunRows, FinishRun, the StatePort checkpoint, the candles) is served by the daemon's JDBC hot path;
 * a daemon that spawned Python per run would show 10,000 spawns here.
 */
@Tag("python")
class SpawnFenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LAGS = 10;
    private static final int OVERLAY_SETS = 1_000;
    private static final int CALLS = 3;

    @TempDir
    Path temporary;

    @Test
    void ten_thousand_runs_spawn_no_python_worker() throws Exception {
        SharedDaemon daemon = SharedDaemon.get();
        daemon.importSnapshot("fence", 2, 1, CALLS, 2, 11);
        StringBuilder yaml = new StringBuilder("""
                sweep_id: fence-10k
                calls: {snapshot: fence}
                intervals: [1m]
                time_frame: 2h
                entry_lags: [""");
        for (int lag = 0; lag < LAGS; lag++) {
            yaml.append(lag == 0 ? "" : ", ").append(lag).append('m');
        }
        yaml.append("]\noverlay_sets:\n");
        for (int set = 1; set <= OVERLAY_SETS; set++) {
            yaml.append("  - overlays: [{type: take_profit, pct: ").append(set).append("}]\n");
        }
        Path file = Sweeps.writeSpec(temporary, "fence-10k", yaml.toString());
        QuantbotStorageClient client = daemon.client();
        ServerInfo before = client.artifacts().getServerInfo();
        assertThat(before.getWorkerPoolSize()).isEqualTo(2);
        assertThat(before.getWorkersReady()).isEqualTo(2);

        Sweeps.Result result = Sweeps.run("run", file.toString(), "--target", daemon.target(), "--no-progress",
                "--no-report", "--leaderboard", "by_lag_interval", "--output", "json");

        result.err().lines().filter(line -> line.startsWith("ran ") || line.startsWith("time per phase"))
                .forEach(System.out::println);
        assertThat(result.code()).as(tail(result.err())).isZero();
        assertThat(result.err()).contains("sweep fence-10k: 10000 scenarios × 3 calls = 30,000 backtests; none done before")
                .contains("python worker spawns during sweep: 0");
        ServerInfo after = client.artifacts().getServerInfo();
        assertThat(after.getWorkerSpawnCount()).isEqualTo(before.getWorkerSpawnCount());
        assertThat(after.getStartedAtMs()).isEqualTo(before.getStartedAtMs());

        long succeeded = client.artifacts().listRuns(ListRunsRequest.newBuilder().setSweepId("fence-10k")
                .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setPageSize(1_000).build()).count();
        assertThat(succeeded).isEqualTo((long) LAGS * OVERLAY_SETS);
        JsonNode totals = JSON.readTree(Sweeps.queryResults(client, "fence-10k",
                "SELECT count(*) AS n, count(DISTINCT run_id) AS runs FROM r")).get(0);
        assertThat(totals.get("n").asLong()).isEqualTo((long) LAGS * OVERLAY_SETS * CALLS);
        assertThat(totals.get("runs").asLong()).isEqualTo((long) LAGS * OVERLAY_SETS);
        JsonNode lagBoard = JSON.readTree(result.out()).get("leaderboards").get(0);
        assertThat(lagBoard.get("total_rows").asInt()).isEqualTo(LAGS);
    }

    private static String tail(String text) {
        return text.length() <= 4_000 ? text : "…" + text.substring(text.length() - 4_000);
    }
}
