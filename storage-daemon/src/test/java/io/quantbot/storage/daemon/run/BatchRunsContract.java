package io.quantbot.storage.daemon.run;

import static io.quantbot.storage.daemon.testing.GrpcErrors.errorInfo;
import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.BatchCreateRunsRequest;
import io.quantbot.storage.v1.BatchFinishRunsRequest;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.FinishRunResult;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * BatchCreateRuns and BatchFinishRuns over a real loopback port: every item behaves exactly as the single call
 * (the same answer, or the same status with the same reason and message), a bad item fails alone, a retried batch
 * adds nothing, an oversized batch is refused whole. The contract of every storage engine (see EngineUnderTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BatchRunsContract {
    /** runs.max-batch of this suite's daemon: small, so that the limit is cheap to cross. */
    private static final int MAX_BATCH = 8;

    protected abstract EngineUnderTest engine();

    private TestingStorageDaemon daemon;
    private ManagedChannel channel;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;
    private String candlesId;

    @BeforeAll
    void start() throws Exception {
        daemon = engine().configure(TestingStorageDaemon.builder()).onDisk(Files.createTempDirectory("batch-runs-"))
                .set("runs.max-batch", Integer.toString(MAX_BATCH)).build();
        channel = daemon.loopbackChannel();
        stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        candlesId = LakeFixtures.publishCandles(daemon, "s1", "TokenB1111111111111111111111111111111111", "solana", "1m",
                LakeFixtures.minuteCandles(1_767_225_600_000L, 10)).artifact().id();
    }

    @AfterAll
    void stop() {
        daemon.close();
        daemon.deleteDataDir();
    }

    private CreateRunRequest.Builder createRequest(String sweep, String scenario) {
        return CreateRunRequest.newBuilder().setSweepId(sweep).setScenarioId(scenario).setParamsJson("{\"lag_ms\": 0}")
                .addInputArtifactIds(candlesId);
    }

    private List<CreateRunResult> batchCreate(List<CreateRunRequest> items) {
        return stub.batchCreateRuns(BatchCreateRunsRequest.newBuilder().addAllRequests(items).build()).getResultsList();
    }

    private List<FinishRunResult> batchFinish(List<FinishRunRequest> items) {
        return stub.batchFinishRuns(BatchFinishRunsRequest.newBuilder().addAllRequests(items).build()).getResultsList();
    }

    private List<Run> runsOf(String sweep) {
        return stub.listRuns(ListRunsRequest.newBuilder().setSweepId(sweep).setPageSize(1000).build()).getRunsList();
    }

    private void append(String runId, int rows) throws Exception {
        CompletableFuture<AppendRunRowsResponse> done = new CompletableFuture<>();
        StreamObserver<AppendRunRowsRequest> requests = ArtifactPortGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .appendRunRows(new StreamObserver<>() {
                    @Override
                    public void onNext(AppendRunRowsResponse value) {
                        done.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        requests.onNext(AppendRunRowsRequest.newBuilder().setRunId(runId).setChunkSeq(1).setRows(RowChunks.chunk(0, rows)).build());
        requests.onCompleted();
        assertThat(done.get(60, TimeUnit.SECONDS).getRunRowCount()).isEqualTo(rows);
    }

    /** The item's error is the status the single call fails with: same code, reason, message and field violations. */
    private static void assertSameFailure(com.google.rpc.Status item, StatusRuntimeException single) {
        StatusRuntimeException asException = StatusProto.toStatusRuntimeException(item);
        assertThat(asException.getStatus().getCode()).isEqualTo(single.getStatus().getCode());
        assertThat(asException.getStatus().getDescription()).isEqualTo(single.getStatus().getDescription());
        assertThat(errorInfo(asException).map(ErrorInfo::getReason)).isPresent().isEqualTo(errorInfo(single).map(ErrorInfo::getReason));
        // The same metadata, but for the request id: each call has its own; the item carries its batch call's.
        assertThat(withoutRequestId(errorInfo(asException).orElseThrow())).isEqualTo(withoutRequestId(errorInfo(single).orElseThrow()));
        assertThat(errorInfo(asException).orElseThrow().getMetadataMap()).containsKey("request_id");
        assertThat(io.quantbot.storage.daemon.testing.GrpcErrors.badRequest(asException))
                .isEqualTo(io.quantbot.storage.daemon.testing.GrpcErrors.badRequest(single));
    }

    private static java.util.Map<String, String> withoutRequestId(ErrorInfo info) {
        java.util.Map<String, String> metadata = new java.util.HashMap<>(info.getMetadataMap());
        metadata.remove("request_id");
        return metadata;
    }

    @Test
    void aBatchOfCreatesAnswersEachItemAsCreateRunWouldAndABadItemFailsAlone() {
        List<CreateRunRequest> items = List.of(
                createRequest("sw-mixed", "ok-1").setIdempotencyKey("sw-mixed/ok-1").build(),
                createRequest("bad sweep id", "s").build(),
                createRequest("sw-mixed", "ok-2").build(),
                createRequest("sw-mixed", "unknown-input").addInputArtifactIds("art_00000000000000000000000000").build(),
                createRequest("sw-mixed", "bad-params").setParamsJson("[1, 2]").build(),
                createRequest("sw-mixed", "").build(),
                createRequest("sw-mixed", "ok-3").setIdempotencyKey("sw-mixed/ok-3").build());

        List<CreateRunResult> results = batchCreate(items);

        assertThat(results).hasSize(items.size());
        assertThat(results).extracting(CreateRunResult::hasCreated).containsExactly(true, false, true, false, false, false, true);
        for (int i : new int[] {0, 2, 6}) {
            Run run = results.get(i).getCreated().getRun();
            assertThat(results.get(i).getCreated().getCreated()).isTrue();
            assertThat(run.getScenarioId()).isEqualTo(items.get(i).getScenarioId());
            assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_RUNNING);
            assertThat(run.getInputArtifactIdsList()).containsExactly(candlesId);
            assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(run.getRunId()).build())).isEqualTo(run);
        }
        // Each refused item failed with exactly what CreateRun says for the same request.
        for (int i : new int[] {1, 3, 4, 5}) {
            CreateRunRequest item = items.get(i);
            StatusRuntimeException single = catchThrowableOfType(StatusRuntimeException.class, () -> stub.createRun(item));
            assertThat(single).as("CreateRun of item %d", i).isNotNull();
            assertSameFailure(results.get(i).getError(), single);
        }
        assertThat(errorInfo(StatusProto.toStatusRuntimeException(results.get(3).getError())).orElseThrow().getReason())
                .isEqualTo("ARTIFACT_NOT_FOUND");
        assertThat(StatusProto.toStatusRuntimeException(results.get(1).getError()).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(runsOf("sw-mixed")).extracting(Run::getScenarioId).containsExactly("ok-1", "ok-2", "ok-3");
    }

    @Test
    void aRetriedBatchOfCreatesAddsNothingAndRepeatedKeysInOneBatchAreOneRun() {
        List<CreateRunRequest> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(createRequest("sw-retry", "scenario-" + i).setIdempotencyKey("sw-retry/scenario-" + i).build());
        }
        // The same key twice in one batch: one run, as two CreateRun calls with that key would give.
        items.add(createRequest("sw-retry", "scenario-0").setIdempotencyKey("sw-retry/scenario-0").build());

        List<CreateRunResult> first = batchCreate(items);
        List<CreateRunResult> again = batchCreate(items);

        assertThat(first).allSatisfy(result -> assertThat(result.hasCreated()).isTrue());
        assertThat(first.subList(0, 5)).allSatisfy(result -> assertThat(result.getCreated().getCreated()).isTrue());
        assertThat(first.get(5).getCreated().getCreated()).isFalse();
        assertThat(first.get(5).getCreated().getRun().getRunId()).isEqualTo(first.get(0).getCreated().getRun().getRunId());
        assertThat(again).allSatisfy(result -> assertThat(result.getCreated().getCreated()).isFalse());
        assertThat(again).extracting(result -> result.getCreated().getRun().getRunId())
                .containsExactlyElementsOf(first.stream().map(result -> result.getCreated().getRun().getRunId()).toList());
        assertThat(runsOf("sw-retry")).hasSize(5);
        // And a single CreateRun with one of the keys finds the batch's run.
        assertThat(stub.createRun(items.get(3)).getRun().getRunId()).isEqualTo(first.get(3).getCreated().getRun().getRunId());
    }

    @Test
    void aBatchOverRunsMaxBatchIsRefusedWholeAndAnEmptyOneIsInvalid() {
        List<CreateRunRequest> tooMany = IntStream.range(0, MAX_BATCH + 1)
                .mapToObj(i -> createRequest("sw-too-many", "scenario-" + i).build()).toList();
        StatusRuntimeException refused = expectError(() -> batchCreate(tooMany), Status.Code.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE");
        assertThat(errorInfo(refused).orElseThrow().getMetadataMap()).containsEntry("limit", Integer.toString(MAX_BATCH));
        assertThat(refused.getStatus().getDescription()).contains("runs.max-batch");
        assertThat(runsOf("sw-too-many")).isEmpty();

        List<FinishRunRequest> tooManyFinishes = IntStream.range(0, MAX_BATCH + 1).mapToObj(i -> FinishRunRequest.newBuilder()
                .setRunId("run_00000000000000000000000000").setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()).toList();
        expectError(() -> batchFinish(tooManyFinishes), Status.Code.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE");

        expectError(() -> batchCreate(List.of()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> batchFinish(List.of()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        // Exactly the limit is served.
        List<CreateRunRequest> atTheLimit = IntStream.range(0, MAX_BATCH)
                .mapToObj(i -> createRequest("sw-at-limit", "scenario-" + i).build()).toList();
        assertThat(batchCreate(atTheLimit)).allSatisfy(result -> assertThat(result.hasCreated()).isTrue());
        assertThat(runsOf("sw-at-limit")).hasSize(MAX_BATCH);
    }

    @Test
    void aBatchOfFinishesAnswersEachItemAsFinishRunWouldSealsTheSweepOnceAndARetryChangesNothing() throws Exception {
        List<String> ids = new ArrayList<>();
        for (CreateRunResult created : batchCreate(IntStream.range(0, 4)
                .mapToObj(i -> createRequest("sw-finish", "scenario-" + i).setIdempotencyKey("sw-finish/scenario-" + i).build()).toList())) {
            ids.add(created.getCreated().getRun().getRunId());
        }
        for (String id : ids) {
            append(id, 25);
        }
        // Finished before as FAILED: finishing it SUCCEEDED now is RUN_NOT_OPEN, in a batch as alone.
        String failedBefore = ids.get(3);
        stub.finishRun(FinishRunRequest.newBuilder().setRunId(failedBefore).setStatus(RunStatus.RUN_STATUS_FAILED).setErrorMessage("x")
                .setSeal(SealMode.SEAL_MODE_DEFER).build());
        List<FinishRunRequest> items = List.of(
                FinishRunRequest.newBuilder().setRunId(ids.get(0)).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary("mean", 0.5)
                        .setSeal(SealMode.SEAL_MODE_DEFER).build(),
                FinishRunRequest.newBuilder().setRunId("run_00000000000000000000000000").setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build(),
                FinishRunRequest.newBuilder().setRunId(ids.get(1)).setStatus(RunStatus.RUN_STATUS_UNSPECIFIED).build(),
                FinishRunRequest.newBuilder().setRunId(ids.get(1)).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary("mean", Double.NaN).build(),
                FinishRunRequest.newBuilder().setRunId("not-a-run-id").setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build(),
                FinishRunRequest.newBuilder().setRunId(failedBefore).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build(),
                FinishRunRequest.newBuilder().setRunId(ids.get(1)).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setSeal(SealMode.SEAL_MODE_DEFER).build(),
                // Last: seals the runs the batch finished before it, and the run failed before (alone).
                FinishRunRequest.newBuilder().setRunId(ids.get(2)).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setSeal(SealMode.SEAL_MODE_SWEEP).build());

        List<FinishRunResult> results = batchFinish(items);

        assertThat(results).extracting(FinishRunResult::hasRun).containsExactly(true, false, false, false, false, false, true, true);
        for (int i : new int[] {1, 2, 3, 4, 5}) {
            FinishRunRequest item = items.get(i);
            StatusRuntimeException single = catchThrowableOfType(StatusRuntimeException.class, () -> stub.finishRun(item));
            assertThat(single).as("FinishRun of item %d", i).isNotNull();
            assertSameFailure(results.get(i).getError(), single);
        }
        assertThat(errorInfo(StatusProto.toStatusRuntimeException(results.get(1).getError())).orElseThrow().getReason()).isEqualTo("RUN_NOT_FOUND");
        assertThat(errorInfo(StatusProto.toStatusRuntimeException(results.get(5).getError())).orElseThrow().getReason()).isEqualTo("RUN_NOT_OPEN");
        assertThat(results.get(0).getRun().getSummaryMap()).containsEntry("mean", 0.5);
        // The SWEEP item's seal covered the runs finished before it: the three succeeded runs in one artifact.
        String together = results.get(7).getRun().getResultArtifactId();
        assertThat(together).isNotEmpty();
        for (String id : ids.subList(0, 3)) {
            assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getResultArtifactId()).isEqualTo(together);
        }
        Artifact sealed = stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(together).build());
        assertThat(sealed.getRowCount()).isEqualTo(75);
        String failedArtifact = stub.getRun(GetRunRequest.newBuilder().setRunId(failedBefore).build()).getResultArtifactId();
        assertThat(failedArtifact).isNotEmpty().isNotEqualTo(together);

        // The same batch again: the finished items are answered with their runs as they are, nothing changes.
        List<Run> before = runsOf("sw-finish");
        List<FinishRunResult> again = batchFinish(items);
        assertThat(again).extracting(FinishRunResult::hasRun).containsExactly(true, false, false, false, false, false, true, true);
        for (int i : new int[] {0, 6, 7}) {
            assertThat(again.get(i).getRun()).isEqualTo(stub.getRun(GetRunRequest.newBuilder().setRunId(items.get(i).getRunId()).build()));
            assertThat(again.get(i).getRun().getResultArtifactId()).isEqualTo(together);
        }
        assertThat(runsOf("sw-finish")).isEqualTo(before);
    }

    @Test
    void aFailingItemBeforeTheSweepItemDoesNotKeepItFromSealing() throws Exception {
        String ok = batchCreate(List.of(createRequest("sw-neighbour", "a").build())).get(0).getCreated().getRun().getRunId();
        append(ok, 10);

        List<FinishRunResult> results = batchFinish(List.of(
                FinishRunRequest.newBuilder().setRunId("run_00000000000000000000000000").setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build(),
                FinishRunRequest.newBuilder().setRunId(ok).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setSeal(SealMode.SEAL_MODE_SWEEP).build()));

        assertThat(results.get(0).hasError()).isTrue();
        assertThat(results.get(1).getRun().getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(results.get(1).getRun().getResultArtifactId()).isNotEmpty();
    }
}
