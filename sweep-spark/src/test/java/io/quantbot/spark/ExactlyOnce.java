package io.quantbot.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactView;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.ResultFormat;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What the daemon holds for a sweep: one sealed, SUCCEEDED run per scenario and every (scenario, call) row exactly once. */
final class ExactlyOnce {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExactlyOnce() {}

    static void check(QuantbotStorageClient client, String sweepId, int scenarios, int calls) throws Exception {
        List<Run> runs = client.artifacts().listRuns(sweepId).toList();
        Map<String, List<Run>> byScenario = runs.stream().collect(Collectors.groupingBy(Run::getScenarioId));
        assertThat(byScenario).as("scenarios with runs").hasSize(scenarios);
        byScenario.forEach((scenario, its) -> {
            assertThat(its).as("runs of " + scenario).hasSize(1);
            Run run = its.get(0);
            assertThat(run.getStatus()).as(scenario).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
            assertThat(run.getRowCount()).as("rows of " + scenario).isEqualTo(calls);
            assertThat(run.getResultArtifactId()).as("sealed " + scenario).isNotEmpty();
        });
        List<String> sealed = client.artifacts().listArtifacts(ListArtifactsRequest.newBuilder()
                .setType("run_results").putTags("sweep_id", sweepId).setPageSize(1_000).build())
                .map(Artifact::getId).toList();
        String rows = client.artifacts().query(QueryRequest.newBuilder()
                .setSql("SELECT count(*) AS n, count(DISTINCT (scenario_id, call_id)) AS d, count(DISTINCT scenario_id) AS s FROM r")
                .addViews(ArtifactView.newBuilder().setName("r").addAllArtifactIds(sealed))
                .setFormat(ResultFormat.RESULT_FORMAT_JSON)
                .build()).getJsonRows();
        JsonNode row = JSON.readTree(rows);
        if (row.isArray()) {
            row = row.get(0);
        }
        long expected = (long) scenarios * calls;
        assertThat(row.path("n").asLong()).as("result rows (" + rows + ")").isEqualTo(expected);
        assertThat(row.path("d").asLong()).as("distinct (scenario, call) rows").isEqualTo(expected);
        assertThat(row.path("s").asLong()).as("scenarios in the sealed results").isEqualTo(scenarios);
    }
}
