package io.quantbot.storage.client;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactResult;
import io.quantbot.storage.v1.ArtifactStatus;
import io.quantbot.storage.v1.BatchGetArtifactsRequest;
import io.quantbot.storage.v1.BatchGetArtifactsResponse;
import io.quantbot.storage.v1.BatchCreateRunsRequest;
import io.quantbot.storage.v1.BatchCreateRunsResponse;
import io.quantbot.storage.v1.BatchFinishRunsRequest;
import io.quantbot.storage.v1.BatchFinishRunsResponse;
import io.quantbot.storage.v1.BatchGetCandlesRequest;
import io.quantbot.storage.v1.BatchGetCandlesResponse;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.CandlesResult;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResponse;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FinishRunResult;
import io.quantbot.storage.v1.FindByLogicalKeyRequest;
import io.quantbot.storage.v1.FindByLogicalKeyResponse;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GenerateFeaturesRequest;
import io.quantbot.storage.v1.GenerateFeaturesResponse;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.GenerateReportResponse;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.storage.v1.GetLineageRequest;
import io.quantbot.storage.v1.GetLineageResponse;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.Leaderboard;
import io.quantbot.storage.v1.LineageEdge;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.ListArtifactsResponse;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.ListRunsResponse;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.storage.v1.SupersedeRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory ArtifactPort: enough behaviour per RPC to test the client, plus scripted failures. */
final class FakeArtifactPort extends ArtifactPortGrpc.ArtifactPortImplBase {
    final ScriptedCalls script = new ScriptedCalls();
    /** Every chunk sequence number received by AppendRunRows, duplicates included, in arrival order. */
    final List<Long> receivedChunkSeqs = new CopyOnWriteArrayList<>();
    final List<PublishArtifactRequest> publishMessages = new CopyOnWriteArrayList<>();
    final AtomicInteger cancelledStreams = new AtomicInteger();
    final List<ServerCallStreamObserver<AppendRunRowsResponse>> appendStreams = new CopyOnWriteArrayList<>();

    private final Map<String, Artifact> artifacts = new LinkedHashMap<>();
    private final Map<String, Run> runs = new LinkedHashMap<>();
    /** When set, AppendRunRows requests no chunks by itself: the test grants them with allowChunks. */
    private volatile boolean manualFlowControl;
    private volatile long rejectChunkSeq = -1;

    synchronized Artifact addArtifact(String id, String type, String logicalKey) {
        Artifact artifact = Artifact.newBuilder()
                .setId(id)
                .setType(type)
                .setLogicalKey(logicalKey)
                .setStatus(ArtifactStatus.ARTIFACT_STATUS_ACTIVE)
                .setCreatedAtMs(1_700_000_000_000L + artifacts.size())
                .build();
        artifacts.put(id, artifact);
        return artifact;
    }

    synchronized Run addRun(String runId, String sweepId) {
        Run run = Run.newBuilder().setRunId(runId).setSweepId(sweepId).setStatus(RunStatus.RUN_STATUS_RUNNING).build();
        runs.put(runId, run);
        return run;
    }

    synchronized Run run(String runId) {
        return runs.get(runId);
    }

    void manualFlowControl() {
        manualFlowControl = true;
    }

    /** Lets the current AppendRunRows stream receive {@code chunks} more chunks. */
    void allowChunks(int chunks) {
        appendStreams.get(appendStreams.size() - 1).request(chunks);
    }

    void rejectChunk(long chunkSeq) {
        rejectChunkSeq = chunkSeq;
    }

    // ------------------------------------------------------------------ catalog

    @Override
    public synchronized void getArtifact(GetArtifactRequest request, StreamObserver<Artifact> observer) {
        if (script.intercepted("GetArtifact", observer)) {
            return;
        }
        Artifact artifact = artifacts.get(request.getArtifactId());
        if (artifact == null) {
            observer.onError(Errors.error(Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND", "no artifact",
                    Map.of("artifact_id", request.getArtifactId())));
            return;
        }
        answer(observer, artifact);
    }

    @Override
    public synchronized void batchGetArtifacts(BatchGetArtifactsRequest request, StreamObserver<BatchGetArtifactsResponse> observer) {
        if (script.intercepted("BatchGetArtifacts", observer)) {
            return;
        }
        BatchGetArtifactsResponse.Builder response = BatchGetArtifactsResponse.newBuilder();
        for (String id : request.getArtifactIdsList()) {
            Artifact artifact = artifacts.get(id);
            ArtifactResult.Builder result = ArtifactResult.newBuilder().setArtifactId(id).setFound(artifact != null);
            if (artifact != null) {
                result.setArtifact(artifact);
            }
            response.addResults(result);
        }
        answer(observer, response.build());
    }

    @Override
    public synchronized void listArtifacts(ListArtifactsRequest request, StreamObserver<ListArtifactsResponse> observer) {
        if (script.intercepted("ListArtifacts", observer)) {
            return;
        }
        List<Artifact> matching = new ArrayList<>();
        artifacts.values().stream()
                .filter(artifact -> request.getType().isEmpty() || artifact.getType().equals(request.getType()))
                .forEach(matching::add);
        PageSlice slice = PageSlice.of(matching.size(), request.getPageSize(), request.getPageToken());
        answer(observer, ListArtifactsResponse.newBuilder()
                .addAllArtifacts(matching.subList(slice.from(), slice.to()))
                .setNextPageToken(slice.nextPageToken())
                .build());
    }

    @Override
    public synchronized void findByLogicalKey(FindByLogicalKeyRequest request, StreamObserver<FindByLogicalKeyResponse> observer) {
        if (script.intercepted("FindByLogicalKey", observer)) {
            return;
        }
        FindByLogicalKeyResponse.Builder response = FindByLogicalKeyResponse.newBuilder();
        artifacts.values().stream()
                .filter(artifact -> artifact.getType().equals(request.getType()))
                .filter(artifact -> artifact.getLogicalKey().equals(request.getLogicalKey()))
                .forEach(response::addArtifacts);
        answer(observer, response.build());
    }

    @Override
    public synchronized void getLineage(GetLineageRequest request, StreamObserver<GetLineageResponse> observer) {
        if (script.intercepted("GetLineage", observer)) {
            return;
        }
        answer(observer, GetLineageResponse.newBuilder()
                .addArtifacts(artifacts.get(request.getArtifactId()))
                .addEdges(LineageEdge.newBuilder().setInputId("upstream").setOutputId(request.getArtifactId()))
                .build());
    }

    @Override
    public synchronized void supersede(SupersedeRequest request, StreamObserver<Artifact> observer) {
        if (script.intercepted("Supersede", observer)) {
            return;
        }
        Artifact retired = artifacts.get(request.getArtifactId()).toBuilder()
                .setStatus(ArtifactStatus.ARTIFACT_STATUS_SUPERSEDED)
                .setSupersededBy(request.getReplacementId())
                .build();
        artifacts.put(retired.getId(), retired);
        answer(observer, retired);
    }

    // ------------------------------------------------------------------ runs

    @Override
    public synchronized void createRun(CreateRunRequest request, StreamObserver<CreateRunResponse> observer) {
        if (script.intercepted("CreateRun", observer)) {
            return;
        }
        String runId = "run-" + (runs.size() + 1);
        Run run = Run.newBuilder()
                .setRunId(runId)
                .setSweepId(request.getSweepId())
                .setScenarioId(request.getScenarioId())
                .setStatus(RunStatus.RUN_STATUS_RUNNING)
                .setParamsJson(request.getParamsJson())
                .build();
        runs.put(runId, run);
        answer(observer, CreateRunResponse.newBuilder().setRun(run).setCreated(true).build());
    }

    @Override
    public StreamObserver<AppendRunRowsRequest> appendRunRows(StreamObserver<AppendRunRowsResponse> responseObserver) {
        ServerCallStreamObserver<AppendRunRowsResponse> serverObserver = (ServerCallStreamObserver<AppendRunRowsResponse>) responseObserver;
        serverObserver.setOnCancelHandler(cancelledStreams::incrementAndGet);
        if (manualFlowControl) {
            serverObserver.disableAutoRequest();
        }
        appendStreams.add(serverObserver);
        if (script.intercepted("AppendRunRows", responseObserver)) {
            return new IgnoringObserver<>();
        }
        return new StreamObserver<>() {
            private final AppendRunRowsResponse.Builder summary = AppendRunRowsResponse.newBuilder();
            private boolean closed;

            @Override
            public void onNext(AppendRunRowsRequest chunk) {
                synchronized (FakeArtifactPort.this) {
                    receivedChunkSeqs.add(chunk.getChunkSeq());
                    if (closed) {
                        return;
                    }
                    summary.setRunId(chunk.getRunId()).setChunksReceived(summary.getChunksReceived() + 1);
                    Run run = runs.get(chunk.getRunId());
                    if (run == null) {
                        fail(Errors.error(Status.Code.NOT_FOUND, "RUN_NOT_FOUND", "no run", Map.of("run_id", chunk.getRunId())));
                        return;
                    }
                    if (chunk.getChunkSeq() == rejectChunkSeq) {
                        fail(Errors.invalidArgument("INVALID_ROWS", "rows", "columns differ in length"));
                        return;
                    }
                    long committed = run.getCommittedChunkSeq();
                    if (chunk.getChunkSeq() <= committed) {
                        summary.setDuplicateChunks(summary.getDuplicateChunks() + 1);
                        return;
                    }
                    if (chunk.getChunkSeq() != committed + 1) {
                        fail(Errors.error(Status.Code.FAILED_PRECONDITION, "CHUNK_OUT_OF_ORDER", "gap in chunk sequence",
                                Map.of("expected_chunk_seq", Long.toString(committed + 1), "chunk_seq", Long.toString(chunk.getChunkSeq()))));
                        return;
                    }
                    runs.put(run.getRunId(), run.toBuilder()
                            .setCommittedChunkSeq(chunk.getChunkSeq())
                            .setRowCount(run.getRowCount() + chunk.getRows().getRowCount())
                            .build());
                    summary.setChunksCommitted(summary.getChunksCommitted() + 1)
                            .setRowsCommitted(summary.getRowsCommitted() + chunk.getRows().getRowCount());
                }
            }

            @Override
            public void onError(Throwable failure) {
                closed = true;
            }

            @Override
            public void onCompleted() {
                synchronized (FakeArtifactPort.this) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    Run run = runs.get(summary.getRunId());
                    responseObserver.onNext(summary
                            .setCommittedChunkSeq(run.getCommittedChunkSeq())
                            .setRunRowCount(run.getRowCount())
                            .build());
                    responseObserver.onCompleted();
                }
            }

            private void fail(RuntimeException error) {
                closed = true;
                responseObserver.onError(error);
            }
        };
    }

    @Override
    public synchronized void finishRun(FinishRunRequest request, StreamObserver<Run> observer) {
        if (script.intercepted("FinishRun", observer)) {
            return;
        }
        Run run = runs.get(request.getRunId()).toBuilder()
                .setStatus(request.getStatus())
                .setResultArtifactId("results-" + request.getRunId())
                .build();
        runs.put(run.getRunId(), run);
        answer(observer, run);
    }

    @Override
    public synchronized void batchCreateRuns(BatchCreateRunsRequest request, StreamObserver<BatchCreateRunsResponse> observer) {
        if (script.intercepted("BatchCreateRuns", observer)) {
            return;
        }
        BatchCreateRunsResponse.Builder response = BatchCreateRunsResponse.newBuilder();
        for (CreateRunRequest item : request.getRequestsList()) {
            if (item.getSweepId().isEmpty()) {
                response.addResults(CreateRunResult.newBuilder().setError(Errors.statusProto(
                        Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", "sweep_id is empty", Map.of())));
                continue;
            }
            String runId = "run-" + (runs.size() + 1);
            Run run = Run.newBuilder().setRunId(runId).setSweepId(item.getSweepId()).setScenarioId(item.getScenarioId())
                    .setStatus(RunStatus.RUN_STATUS_RUNNING).build();
            runs.put(runId, run);
            response.addResults(CreateRunResult.newBuilder().setCreated(CreateRunResponse.newBuilder().setRun(run).setCreated(true)));
        }
        answer(observer, response.build());
    }

    @Override
    public synchronized void batchFinishRuns(BatchFinishRunsRequest request, StreamObserver<BatchFinishRunsResponse> observer) {
        if (script.intercepted("BatchFinishRuns", observer)) {
            return;
        }
        BatchFinishRunsResponse.Builder response = BatchFinishRunsResponse.newBuilder();
        for (FinishRunRequest item : request.getRequestsList()) {
            Run run = runs.get(item.getRunId());
            if (run == null) {
                response.addResults(FinishRunResult.newBuilder().setError(Errors.statusProto(
                        Status.Code.NOT_FOUND, "RUN_NOT_FOUND", "no run " + item.getRunId(), Map.of("run_id", item.getRunId()))));
                continue;
            }
            Run finished = run.toBuilder().setStatus(item.getStatus()).build();
            runs.put(finished.getRunId(), finished);
            response.addResults(FinishRunResult.newBuilder().setRun(finished));
        }
        answer(observer, response.build());
    }

    @Override
    public synchronized void getRun(GetRunRequest request, StreamObserver<Run> observer) {
        if (script.intercepted("GetRun", observer)) {
            return;
        }
        Run run = runs.get(request.getRunId());
        if (run == null) {
            observer.onError(Errors.error(Status.Code.NOT_FOUND, "RUN_NOT_FOUND", "no run", Map.of("run_id", request.getRunId())));
            return;
        }
        answer(observer, run);
    }

    @Override
    public synchronized void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> observer) {
        if (script.intercepted("ListRuns", observer)) {
            return;
        }
        List<Run> matching = runs.values().stream().filter(run -> run.getSweepId().equals(request.getSweepId())).toList();
        PageSlice slice = PageSlice.of(matching.size(), request.getPageSize(), request.getPageToken());
        answer(observer, ListRunsResponse.newBuilder()
                .addAllRuns(matching.subList(slice.from(), slice.to()))
                .setNextPageToken(slice.nextPageToken())
                .build());
    }

    // ------------------------------------------------------------------ candles

    @Override
    public void getCandles(GetCandlesRequest request, StreamObserver<Candles> observer) {
        if (script.intercepted("GetCandles", observer)) {
            return;
        }
        answer(observer, candles(request));
    }

    @Override
    public void batchGetCandles(BatchGetCandlesRequest request, StreamObserver<BatchGetCandlesResponse> observer) {
        if (script.intercepted("BatchGetCandles", observer)) {
            return;
        }
        BatchGetCandlesResponse.Builder response = BatchGetCandlesResponse.newBuilder();
        for (GetCandlesRequest item : request.getRequestsList()) {
            if (item.getToken().equals("unknown")) {
                response.addResults(CandlesResult.newBuilder().setError(Errors.statusProto(
                        Status.Code.NOT_FOUND, "CANDLES_NOT_FOUND", "no candles", Map.of("token", item.getToken()))));
            }
            else {
                response.addResults(CandlesResult.newBuilder().setCandles(candles(item)));
            }
        }
        answer(observer, response.build());
    }

    private static Candles candles(GetCandlesRequest request) {
        return Candles.newBuilder()
                .setToken(request.getToken())
                .setChain(request.getChain())
                .setInterval(request.getInterval())
                .addTsMs(request.getFromMs())
                .addOpen(1.0).addHigh(2.0).addLow(0.5).addClose(1.5).addVolume(10.0)
                .setSourceInterval("1m")
                .build();
    }

    // ------------------------------------------------------------------ coarse operations

    @Override
    public void importSnapshot(ImportSnapshotRequest request, StreamObserver<ImportSnapshotResponse> observer) {
        if (script.intercepted("ImportSnapshot", observer)) {
            return;
        }
        answer(observer, ImportSnapshotResponse.newBuilder().setFiles(2).setCandleRows(1440).setCallRows(40).build());
    }

    @Override
    public StreamObserver<PublishArtifactRequest> publishArtifact(StreamObserver<PublishArtifactResponse> responseObserver) {
        if (script.intercepted("PublishArtifact", responseObserver)) {
            return new IgnoringObserver<>();
        }
        return new StreamObserver<>() {
            @Override
            public void onNext(PublishArtifactRequest message) {
                publishMessages.add(message);
            }

            @Override
            public void onError(Throwable failure) {}

            @Override
            public void onCompleted() {
                String type = publishMessages.get(0).getHeader().getType();
                answer(responseObserver, PublishArtifactResponse.newBuilder()
                        .setArtifact(Artifact.newBuilder().setId("published").setType(type))
                        .build());
            }
        };
    }

    @Override
    public void query(QueryRequest request, StreamObserver<QueryResponse> observer) {
        if (script.intercepted("Query", observer)) {
            return;
        }
        answer(observer, QueryResponse.newBuilder().setRowCount(1).setJsonRows("[{\"n\":1}]").build());
    }

    @Override
    public void analyzeSweep(AnalyzeSweepRequest request, StreamObserver<AnalyzeSweepResponse> observer) {
        if (script.intercepted("AnalyzeSweep", observer)) {
            return;
        }
        answer(observer, AnalyzeSweepResponse.newBuilder()
                .setSweepId(request.getSweepId())
                .addLeaderboards(Leaderboard.newBuilder().setName("by_overlay"))
                .build());
    }

    @Override
    public void generateFeatures(GenerateFeaturesRequest request, StreamObserver<GenerateFeaturesResponse> observer) {
        if (script.intercepted("GenerateFeatures", observer)) {
            return;
        }
        answer(observer, GenerateFeaturesResponse.newBuilder().setArtifact(Artifact.newBuilder().setId("features")).build());
    }

    @Override
    public void generateReport(GenerateReportRequest request, StreamObserver<GenerateReportResponse> observer) {
        if (script.intercepted("GenerateReport", observer)) {
            return;
        }
        answer(observer, GenerateReportResponse.newBuilder().setPath("/data/reports/" + request.getSweepId() + ".html").build());
    }

    @Override
    public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> observer) {
        if (script.intercepted("GetServerInfo", observer)) {
            return;
        }
        answer(observer, ServerInfo.newBuilder().setVersion("0.1.0-fake").setWorkerSpawnCount(3).build());
    }

    private static <T> void answer(StreamObserver<T> observer, T response) {
        observer.onNext(response);
        observer.onCompleted();
    }

    /** Index-based paging: the token is the index of the first item of the page. */
    private record PageSlice(int from, int to, String nextPageToken) {
        static PageSlice of(int size, int pageSize, String pageToken) {
            int from = pageToken.isEmpty() ? 0 : Integer.parseInt(pageToken);
            int to = Math.min(size, from + (pageSize == 0 ? 100 : pageSize));
            return new PageSlice(from, to, to < size ? Integer.toString(to) : "");
        }
    }

    private static final class IgnoringObserver<T> implements StreamObserver<T> {
        @Override
        public void onNext(T value) {}

        @Override
        public void onError(Throwable failure) {}

        @Override
        public void onCompleted() {}
    }
}
