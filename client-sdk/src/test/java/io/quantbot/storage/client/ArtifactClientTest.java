package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactResult;
import io.quantbot.storage.v1.ArtifactStatus;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResponse;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.FinishRunResult;
import io.quantbot.storage.v1.DoubleColumn;
import io.quantbot.storage.v1.GenerateFeaturesRequest;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.GetLineageResponse;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.LineageDirection;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishHeader;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ArtifactClientTest {
    private TestingServer server;
    private QuantbotStorageClient client;
    private ArtifactClient artifacts;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
        client = server.clientBuilder().build();
        artifacts = client.artifacts();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void catalogLookups() {
        server.artifacts.addArtifact("a1", "ohlcv_slice", "token=So1/res=1m");
        server.artifacts.addArtifact("a2", "alerts", "day=2024-05-01");

        assertThat(artifacts.getArtifact("a1")).map(Artifact::getType).hasValue("ohlcv_slice");
        assertThat(artifacts.getArtifact("missing")).isEmpty();
        assertThat(artifacts.batchGetArtifacts(List.of("a2", "missing", "a1")))
                .extracting(ArtifactResult::getArtifactId, ArtifactResult::getFound)
                .containsExactly(
                        tuple("a2", true),
                        tuple("missing", false),
                        tuple("a1", true));
        assertThat(artifacts.findByLogicalKey("alerts", "day=2024-05-01")).extracting(Artifact::getId).containsExactly("a2");
        GetLineageResponse lineage = artifacts.getLineage("a1", LineageDirection.LINEAGE_DIRECTION_UPSTREAM);
        assertThat(lineage.getEdgesList()).hasSize(1);
        Artifact retired = artifacts.supersede("a1", "a2", "replaced");
        assertThat(retired.getStatus()).isEqualTo(ArtifactStatus.ARTIFACT_STATUS_SUPERSEDED);
        assertThat(retired.getSupersededBy()).isEqualTo("a2");
    }

    @Test
    void listArtifactsPagesLazily() {
        IntStream.range(0, 7).forEach(index -> server.artifacts.addArtifact("o" + index, "ohlcv_slice", "k" + index));
        server.artifacts.addArtifact("x", "alerts", "k");

        List<String> ids = artifacts.listArtifacts(ListArtifactsRequest.newBuilder().setType("ohlcv_slice").setPageSize(3).build())
                .map(Artifact::getId)
                .toList();

        assertThat(ids).containsExactly("o0", "o1", "o2", "o3", "o4", "o5", "o6");
        assertThat(server.artifacts.script.calls("ListArtifacts")).isEqualTo(3);
        assertThat(artifacts.listArtifacts("alerts")).extracting(Artifact::getId).containsExactly("x");
        assertThat(artifacts.listArtifacts(ListArtifactsRequest.newBuilder().setType("ohlcv_slice").setPageSize(3).build()).limit(2))
                .hasSize(2);
    }

    @Test
    void runLifecycle() {
        CreateRunResponse created = artifacts.createRun(CreateRunRequest.newBuilder()
                .setSweepId("sweep-1")
                .setScenarioId("lag=0/interval=1m")
                .setParamsJson("{\"lag_ms\":0}")
                .build());
        assertThat(created.getCreated()).isTrue();
        String runId = created.getRun().getRunId();

        assertThat(artifacts.appendRunRows(runId, List.of(rows(3), rows(2))).getRowsCommitted()).isEqualTo(5);
        Run finished = artifacts.finishRun(runId, RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(finished.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(artifacts.getRun(runId)).map(Run::getRowCount).hasValue(5L);
        assertThat(artifacts.getRun("missing")).isEmpty();
    }

    @Test
    void batchRunCallsAnswerPerItemAndABadItemDoesNotFailTheOthers() {
        List<CreateRunResult> created = artifacts.batchCreateRuns(List.of(
                CreateRunRequest.newBuilder().setSweepId("sweep-1").setScenarioId("a").build(),
                CreateRunRequest.newBuilder().setScenarioId("no sweep").build(),
                CreateRunRequest.newBuilder().setSweepId("sweep-1").setScenarioId("b").build()));

        assertThat(created).extracting(CreateRunResult::hasCreated).containsExactly(true, false, true);
        assertThat(StorageExceptions.fromStatusProto(created.get(1).getError())).isInstanceOf(InvalidArgumentException.class);
        String first = created.get(0).getCreated().getRun().getRunId();
        String second = created.get(2).getCreated().getRun().getRunId();

        List<FinishRunResult> finished = artifacts.batchFinishRuns(List.of(
                FinishRunRequest.newBuilder().setRunId(first).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build(),
                FinishRunRequest.newBuilder().setRunId("missing").setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build(),
                FinishRunRequest.newBuilder().setRunId(second).setStatus(RunStatus.RUN_STATUS_FAILED).build()));

        assertThat(finished).extracting(FinishRunResult::hasRun).containsExactly(true, false, true);
        assertThat(finished.get(0).getRun().getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(finished.get(2).getRun().getStatus()).isEqualTo(RunStatus.RUN_STATUS_FAILED);
        assertThat(StorageExceptions.fromStatusProto(finished.get(1).getError()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.error().reason()).isEqualTo("RUN_NOT_FOUND"));
        assertThat(server.artifacts.script.calls("BatchCreateRuns")).isEqualTo(1);
        assertThat(server.artifacts.script.calls("BatchFinishRuns")).isEqualTo(1);
    }

    @Test
    void listRunsPagesLazily() {
        IntStream.range(0, 5).forEach(index -> server.artifacts.addRun("r" + index, "sweep-1"));
        server.artifacts.addRun("other", "sweep-2");

        assertThat(artifacts.listRuns(ListRunsRequest.newBuilder().setSweepId("sweep-1").setPageSize(2).build()))
                .extracting(Run::getRunId)
                .containsExactly("r0", "r1", "r2", "r3", "r4");
        assertThat(server.artifacts.script.calls("ListRuns")).isEqualTo(3);
        assertThat(artifacts.listRuns("sweep-2")).extracting(Run::getRunId).containsExactly("other");
    }

    @Test
    void candles() {
        Candles candles = artifacts.getCandles("So11111111111111111111111111111111111111112", "solana", "5m", 1_000, 2_000);

        assertThat(candles.getToken()).isEqualTo("So11111111111111111111111111111111111111112");
        assertThat(candles.getInterval()).isEqualTo("5m");
        assertThat(candles.getTsMsList()).containsExactly(1_000L);
    }

    @Test
    void coarseOperations() {
        assertThat(artifacts.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir("snapshots/2024-05").build()).getFiles())
                .isEqualTo(2);
        assertThat(artifacts.query(QueryRequest.newBuilder().setSql("SELECT 1 AS n").build()).getJsonRows())
                .isEqualTo("[{\"n\":1}]");
        assertThat(artifacts.analyzeSweep("sweep-1").getLeaderboardsList()).hasSize(1);
        assertThat(artifacts.generateFeatures(GenerateFeaturesRequest.getDefaultInstance()).getArtifact().getId())
                .isEqualTo("features");
        assertThat(artifacts.generateReport(GenerateReportRequest.newBuilder().setSweepId("sweep-1").build()).getPath())
                .endsWith("sweep-1.html");
        assertThat(artifacts.getServerInfo().getWorkerSpawnCount()).isEqualTo(3);
    }

    @Test
    void publishRowsNumbersChunksAfterTheHeader() {
        PublishHeader header = PublishHeader.newBuilder().setType("features").setLogicalKey("k").build();

        assertThat(artifacts.publishArtifact(header, List.of(rows(1), rows(2))).getArtifact().getType()).isEqualTo("features");

        List<PublishArtifactRequest> messages = server.artifacts.publishMessages;
        assertThat(messages).hasSize(3);
        assertThat(messages.get(0).hasHeader()).isTrue();
        assertThat(messages.subList(1, 3)).extracting(PublishArtifactRequest::getChunkSeq).containsExactly(1L, 2L);
    }

    @Test
    void publishFromAFileSendsOnlyTheHeader() {
        artifacts.publishArtifact(PublishHeader.newBuilder().setType("alerts").setSourcePath("imports/calls.csv").build());

        assertThat(server.artifacts.publishMessages).hasSize(1);
        assertThatThrownBy(() -> artifacts.publishArtifact(PublishHeader.newBuilder().setType("alerts").build()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void publishArrowIpcCutsTheStreamIntoPieces() {
        byte[] arrow = new byte[(1 << 20) + 10];
        arrow[arrow.length - 1] = 7;

        artifacts.publishArrowIpc(PublishHeader.newBuilder().setType("features").build(), new ByteArrayInputStream(arrow));

        List<PublishArtifactRequest> pieces = server.artifacts.publishMessages.subList(1, server.artifacts.publishMessages.size());
        assertThat(pieces).extracting(piece -> piece.getArrowIpc().size()).containsExactly(1 << 20, 10);
        assertThat(pieces).extracting(PublishArtifactRequest::getChunkSeq).containsExactly(1L, 2L);
        assertThat(pieces.get(1).getArrowIpc().byteAt(9)).isEqualTo((byte) 7);
    }

    static RowChunk rows(int count) {
        DoubleColumn.Builder values = DoubleColumn.newBuilder();
        IntStream.range(0, count).forEach(index -> values.addValues(index * 0.5));
        return RowChunk.newBuilder()
                .setRowCount(count)
                .addColumns(Column.newBuilder().setName("net_return_pct").setDoubles(values))
                .build();
    }
}
