package io.quantbot.storage.daemon.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.info.DaemonInfo;
import io.quantbot.storage.daemon.info.DaemonInfoService;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactResult;
import io.quantbot.storage.v1.ArtifactView;
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
import io.quantbot.storage.v1.UploadSnapshotRequest;
import io.quantbot.storage.v1.LineageEdge;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.ListArtifactsResponse;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.ListRunsResponse;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import io.quantbot.storage.v1.ReadArtifactFileRequest;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactService;
import io.quantbot.storage.daemon.artifact.Lineage;
import io.quantbot.storage.daemon.candles.CandleService;
import io.quantbot.storage.daemon.config.RunsConfig;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.RunService;
import io.quantbot.storage.daemon.run.RunStatus;
import io.quantbot.storage.v1.ReadArtifactFileResponse;
import io.quantbot.storage.v1.ResultFormat;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.daemon.batch.BatchOperations;
import io.quantbot.storage.daemon.batch.SnapshotUploads;
import io.quantbot.storage.daemon.batch.QueryFormat;
import io.quantbot.storage.daemon.batch.StagingWriter;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.storage.v1.SupersedeRequest;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** ArtifactPort over gRPC: a thin adapter over the catalog, run, candle and batch services. */
final class ArtifactPortService extends ArtifactPortGrpc.ArtifactPortImplBase {
    private final DaemonInfoService info;
    private final ArtifactService artifacts;
    private final RunService runs;
    private final CandleService candles;
    private final RunsConfig runsConfig;
    private final BatchOperations batch;
    private final StagingWriter staging;
    private final SnapshotUploads uploads;

    @Inject
    ArtifactPortService(DaemonInfoService info, ArtifactService artifacts, RunService runs, CandleService candles, RunsConfig runsConfig,
            BatchOperations batch, StagingWriter staging, SnapshotUploads uploads) {
        this.info = requireNonNull(info, "info is null");
        this.artifacts = requireNonNull(artifacts, "artifacts is null");
        this.runs = requireNonNull(runs, "runs is null");
        this.candles = requireNonNull(candles, "candles is null");
        this.runsConfig = requireNonNull(runsConfig, "runsConfig is null");
        this.batch = requireNonNull(batch, "batch is null");
        this.staging = requireNonNull(staging, "staging is null");
        this.uploads = requireNonNull(uploads, "uploads is null");
    }

    // ------------------------------------------------------------------ catalog

    @Override
    public void getArtifact(GetArtifactRequest request, StreamObserver<Artifact> observer) {
        ArtifactRecord record;
        try {
            record = artifacts.get(request.getArtifactId());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        observer.onNext(ArtifactProtoMapper.toProto(record));
        observer.onCompleted();
    }

    @Override
    public void batchGetArtifacts(BatchGetArtifactsRequest request, StreamObserver<BatchGetArtifactsResponse> observer) {
        List<Optional<ArtifactRecord>> found;
        try {
            found = artifacts.batchGet(request.getArtifactIdsList());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        BatchGetArtifactsResponse.Builder response = BatchGetArtifactsResponse.newBuilder();
        for (int i = 0; i < found.size(); i++) {
            ArtifactResult.Builder result = ArtifactResult.newBuilder().setArtifactId(request.getArtifactIds(i)).setFound(found.get(i).isPresent());
            found.get(i).ifPresent(record -> result.setArtifact(ArtifactProtoMapper.toProto(record)));
            response.addResults(result);
        }
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void listArtifacts(ListArtifactsRequest request, StreamObserver<ListArtifactsResponse> observer) {
        ArtifactService.ArtifactPage page;
        try {
            page = artifacts.list(ArtifactProtoMapper.toQuery(request), request.getPageSize(), request.getPageToken());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        ListArtifactsResponse.Builder response = ListArtifactsResponse.newBuilder().setNextPageToken(page.nextPageToken());
        page.artifacts().forEach(record -> response.addArtifacts(ArtifactProtoMapper.toProto(record)));
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void findByLogicalKey(FindByLogicalKeyRequest request, StreamObserver<FindByLogicalKeyResponse> observer) {
        List<ArtifactRecord> found;
        try {
            found = artifacts.findByLogicalKey(request.getType(), request.getLogicalKey(), request.getIncludeInactive());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        FindByLogicalKeyResponse.Builder response = FindByLogicalKeyResponse.newBuilder();
        found.forEach(record -> response.addArtifacts(ArtifactProtoMapper.toProto(record)));
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void getLineage(GetLineageRequest request, StreamObserver<GetLineageResponse> observer) {
        Lineage lineage;
        try {
            lineage = artifacts.lineage(request.getArtifactId(), ArtifactProtoMapper.toDomain(request.getDirection()), request.getMaxDepth());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        GetLineageResponse.Builder response = GetLineageResponse.newBuilder().setTruncated(lineage.truncated());
        lineage.artifacts().forEach(record -> response.addArtifacts(ArtifactProtoMapper.toProto(record)));
        lineage.edges().forEach(edge -> response.addEdges(LineageEdge.newBuilder().setInputId(edge.inputId()).setOutputId(edge.outputId())));
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void supersede(SupersedeRequest request, StreamObserver<Artifact> observer) {
        try {
            Optional<String> replacement = request.getReplacementId().isEmpty() ? Optional.empty() : Optional.of(request.getReplacementId());
            Responses.whenDone(artifacts.supersede(request.getArtifactId(), replacement, request.getReason()), ArtifactProtoMapper::toProto, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    // ------------------------------------------------------------------ runs

    @Override
    public void createRun(CreateRunRequest request, StreamObserver<CreateRunResponse> observer) {
        try {
            Responses.whenDone(runs.create(newRun(request)), created -> CreateRunResponse.newBuilder()
                    .setRun(ArtifactProtoMapper.toProto(created.run()))
                    .setCreated(created.created())
                    .build(), observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void finishRun(FinishRunRequest request, StreamObserver<Run> observer) {
        try {
            Responses.whenDone(runs.finish(finishItem(request)), ArtifactProtoMapper::toProto, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    private static RunLedger.NewRun newRun(CreateRunRequest request) {
        return new RunLedger.NewRun(request.getSweepId(), request.getScenarioId(), request.getParamsJson(),
                request.getInputArtifactIdsList(), request.getTagsMap(),
                request.getIdempotencyKey().isEmpty() ? Optional.empty() : Optional.of(request.getIdempotencyKey()));
    }

    private static RunService.FinishItem finishItem(FinishRunRequest request) {
        return new RunService.FinishItem(request.getRunId(), ArtifactProtoMapper.toDomain(request.getStatus()), request.getSummaryMap(),
                request.getErrorMessage(), ArtifactProtoMapper.toDomain(request.getSeal()));
    }

    @Override
    public void batchCreateRuns(BatchCreateRunsRequest request, StreamObserver<BatchCreateRunsResponse> observer) {
        List<CompletableFuture<RunLedger.Created>> results;
        try {
            results = runs.batchCreate(request.getRequestsList().stream().map(ArtifactPortService::newRun).toList());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        Responses.whenDone(BatchItems.settle(results), BatchItems.inThisCall(settled -> {
            BatchCreateRunsResponse.Builder response = BatchCreateRunsResponse.newBuilder();
            for (BatchItems.Settled<RunLedger.Created> item : settled) {
                CreateRunResult.Builder result = CreateRunResult.newBuilder();
                if (item.failure() != null) {
                    result.setError(BatchItems.status(item.failure()));
                } else {
                    result.setCreated(CreateRunResponse.newBuilder().setRun(ArtifactProtoMapper.toProto(item.value().run()))
                            .setCreated(item.value().created()));
                }
                response.addResults(result);
            }
            return response.build();
        }), observer);
    }

    @Override
    public void batchFinishRuns(BatchFinishRunsRequest request, StreamObserver<BatchFinishRunsResponse> observer) {
        List<CompletableFuture<RunRecord>> results;
        try {
            results = runs.batchFinish(request.getRequestsList().stream().map(ArtifactPortService::finishItem).toList());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        Responses.whenDone(BatchItems.settle(results), BatchItems.inThisCall(settled -> {
            BatchFinishRunsResponse.Builder response = BatchFinishRunsResponse.newBuilder();
            for (BatchItems.Settled<RunRecord> item : settled) {
                FinishRunResult.Builder result = FinishRunResult.newBuilder();
                if (item.failure() != null) {
                    result.setError(BatchItems.status(item.failure()));
                } else {
                    result.setRun(ArtifactProtoMapper.toProto(item.value()));
                }
                response.addResults(result);
            }
            return response.build();
        }), observer);
    }

    @Override
    public void getRun(GetRunRequest request, StreamObserver<Run> observer) {
        RunRecord run;
        try {
            run = runs.get(request.getRunId());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        observer.onNext(ArtifactProtoMapper.toProto(run));
        observer.onCompleted();
    }

    @Override
    public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> observer) {
        RunService.RunPage page;
        try {
            page = runs.list(request.getSweepId().isEmpty() ? Optional.empty() : Optional.of(request.getSweepId()),
                    ArtifactProtoMapper.toDomain(request.getStatus()), request.getPageSize(), request.getPageToken());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        ListRunsResponse.Builder response = ListRunsResponse.newBuilder().setNextPageToken(page.nextPageToken());
        page.runs().forEach(run -> response.addRuns(ArtifactProtoMapper.toProto(run)));
        observer.onNext(response.build());
        observer.onCompleted();
    }

    // ------------------------------------------------------------------ candles

    @Override
    public void getCandles(GetCandlesRequest request, StreamObserver<Candles> observer) {
        CandleService.CandleResult result;
        try {
            result = candles.getCandles(request.getToken(), request.getChain(), request.getInterval(), request.getFromMs(), request.getToMs());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        observer.onNext(ArtifactProtoMapper.toProto(result));
        observer.onCompleted();
    }

    @Override
    public void batchGetCandles(BatchGetCandlesRequest request, StreamObserver<BatchGetCandlesResponse> observer) {
        if (request.getRequestsCount() > candles.maxBatch()) {
            Responses.fail(observer, StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "requests has " + request.getRequestsCount()
                    + " items; the limit (candles.max-batch) is " + candles.maxBatch()).metadata("limit", candles.maxBatch()).build());
            return;
        }
        BatchGetCandlesResponse.Builder response = BatchGetCandlesResponse.newBuilder();
        for (GetCandlesRequest item : request.getRequestsList()) {
            CandlesResult.Builder result = CandlesResult.newBuilder();
            try {
                result.setCandles(ArtifactProtoMapper.toProto(
                        candles.getCandles(item.getToken(), item.getChain(), item.getInterval(), item.getFromMs(), item.getToMs())));
            } catch (StorageException e) {
                result.setError(StatusProto.fromThrowable(StatusMapper.toStatusException(e)));
            }
            response.addResults(result);
        }
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> observer) {
        DaemonInfo facts;
        try {
            facts = info.info();
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        observer.onNext(ServerInfo.newBuilder()
                .setVersion(facts.version())
                .setDuckdbVersion(facts.duckDbVersion())
                .setDataDir(facts.dataDir())
                .setStartedAtMs(facts.startedAtMs())
                .setSchemaVersion(facts.schemaVersion())
                .setWorkerPoolSize(facts.workerPoolSize())
                .setWorkersReady(facts.workersReady())
                .setWorkerSpawnCount(facts.workerSpawnCount())
                .setPythonVersion(facts.pythonVersion())
                .setPythonDuckdbVersion(facts.pythonDuckDbVersion())
                .setJavaVersion(facts.javaVersion())
                .build());
        observer.onCompleted();
    }

    @Override
    public StreamObserver<AppendRunRowsRequest> appendRunRows(StreamObserver<AppendRunRowsResponse> observer) {
        AppendRunRowsStream stream = new AppendRunRowsStream((ServerCallStreamObserver<AppendRunRowsResponse>) observer, runs,
                runsConfig.maxChunksInFlight());
        stream.start();
        return stream;
    }

    // ------------------------------------------------------------------ coarse operations

    @Override
    public void importSnapshot(ImportSnapshotRequest request, StreamObserver<ImportSnapshotResponse> observer) {
        try {
            Responses.whenDone(batch.importSnapshot(request.getSourceDir(), request.getSnapshotName(), request.getTagsMap(), request.getDryRun(),
                    BatchCalls.options()), BatchCalls::toProto, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public StreamObserver<UploadSnapshotRequest> uploadSnapshot(StreamObserver<ImportSnapshotResponse> observer) {
        return new UploadSnapshotStream((ServerCallStreamObserver<ImportSnapshotResponse>) observer, uploads, BatchCalls.options());
    }

    @Override
    public StreamObserver<PublishArtifactRequest> publishArtifact(StreamObserver<PublishArtifactResponse> observer) {
        return new PublishArtifactStream((ServerCallStreamObserver<PublishArtifactResponse>) observer, batch, staging, BatchCalls.options());
    }

    @Override
    public void query(QueryRequest request, StreamObserver<QueryResponse> observer) {
        try {
            Map<String, List<String>> views = new LinkedHashMap<>();
            for (ArtifactView view : request.getViewsList()) {
                if (views.put(view.getName(), view.getArtifactIdsList()) != null) {
                    throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "view '" + view.getName() + "' is named twice")
                            .violation("views", "names must be unique").build();
                }
            }
            QueryFormat format = request.getFormat() == ResultFormat.RESULT_FORMAT_ARROW_IPC ? QueryFormat.ARROW : QueryFormat.JSON;
            Responses.whenDone(batch.query(request.getSql(), views, format, request.getRowLimit(), BatchCalls.options()), BatchCalls::toProto,
                    observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void analyzeSweep(AnalyzeSweepRequest request, StreamObserver<AnalyzeSweepResponse> observer) {
        try {
            Responses.whenDone(batch.analyzeSweep(request.getSweepId(), request.getTopN(), BatchCalls.options()),
                    result -> BatchCalls.toProto(request.getSweepId(), result), observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void generateFeatures(GenerateFeaturesRequest request, StreamObserver<GenerateFeaturesResponse> observer) {
        try {
            Responses.whenDone(batch.generateFeatures(request.getOhlcvArtifactIdsList(), request.getWindowsList(), request.getLogicalKey(),
                    request.getTagsMap(), BatchCalls.options()), registration -> GenerateFeaturesResponse.newBuilder()
                    .setArtifact(ArtifactProtoMapper.toProto(registration.artifact()))
                    .setDeduped(registration.deduped())
                    .build(), observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void readArtifactFile(ReadArtifactFileRequest request, StreamObserver<ReadArtifactFileResponse> observer) {
        try {
            int chunkBytes = ArtifactFileStream.chunkBytes(request.getChunkBytes());
            ArtifactRecord record = artifacts.get(request.getArtifactId());
            ArtifactFileStream.start((ServerCallStreamObserver<ReadArtifactFileResponse>) observer, record, artifacts.servedFile(record), chunkBytes,
                    ReadArtifactFileResponse.newBuilder().setArtifact(ArtifactProtoMapper.toProto(record)).build());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void generateReport(GenerateReportRequest request, StreamObserver<GenerateReportResponse> observer) {
        try {
            Responses.whenDone(batch.generateReport(request.getSweepId(), request.getTitle(), request.getSpecText(),
                    request.getFactsMap(), BatchCalls.options()),
                    registration -> GenerateReportResponse.newBuilder()
                            .setArtifact(ArtifactProtoMapper.toProto(registration.artifact()))
                            .setPath(batch.location(registration.artifact()).display())
                            .build(), observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }
}
