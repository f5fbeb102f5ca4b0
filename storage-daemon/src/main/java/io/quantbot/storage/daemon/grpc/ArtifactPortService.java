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
import io.quantbot.storage.v1.BatchGetArtifactsRequest;
import io.quantbot.storage.v1.BatchGetArtifactsResponse;
import io.quantbot.storage.v1.BatchGetCandlesRequest;
import io.quantbot.storage.v1.BatchGetCandlesResponse;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResponse;
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
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.ListArtifactsResponse;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.ListRunsResponse;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.storage.v1.SupersedeRequest;
import jakarta.inject.Inject;

/** ArtifactPort over gRPC: a thin adapter over the catalog, run, candle and batch services. */
final class ArtifactPortService extends ArtifactPortGrpc.ArtifactPortImplBase {
    private final DaemonInfoService info;

    @Inject
    ArtifactPortService(DaemonInfoService info) {
        this.info = requireNonNull(info, "info is null");
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
    public void getArtifact(GetArtifactRequest request, StreamObserver<Artifact> observer) {
        Responses.fail(observer, notImplemented("GetArtifact", "the artifact catalog (issue: ArtifactPort hot path)"));
    }

    @Override
    public void batchGetArtifacts(BatchGetArtifactsRequest request, StreamObserver<BatchGetArtifactsResponse> observer) {
        Responses.fail(observer, notImplemented("BatchGetArtifacts", "the artifact catalog (issue: ArtifactPort hot path)"));
    }

    @Override
    public void listArtifacts(ListArtifactsRequest request, StreamObserver<ListArtifactsResponse> observer) {
        Responses.fail(observer, notImplemented("ListArtifacts", "the artifact catalog (issue: ArtifactPort hot path)"));
    }

    @Override
    public void findByLogicalKey(FindByLogicalKeyRequest request, StreamObserver<FindByLogicalKeyResponse> observer) {
        Responses.fail(observer, notImplemented("FindByLogicalKey", "the artifact catalog (issue: ArtifactPort hot path)"));
    }

    @Override
    public void getLineage(GetLineageRequest request, StreamObserver<GetLineageResponse> observer) {
        Responses.fail(observer, notImplemented("GetLineage", "the artifact catalog (issue: ArtifactPort hot path)"));
    }

    @Override
    public void supersede(SupersedeRequest request, StreamObserver<Artifact> observer) {
        Responses.fail(observer, notImplemented("Supersede", "the artifact catalog (issue: ArtifactPort hot path)"));
    }

    @Override
    public void createRun(CreateRunRequest request, StreamObserver<CreateRunResponse> observer) {
        Responses.fail(observer, notImplemented("CreateRun", "the run ledger (issue: ArtifactPort hot path)"));
    }

    @Override
    public void finishRun(FinishRunRequest request, StreamObserver<Run> observer) {
        Responses.fail(observer, notImplemented("FinishRun", "the run ledger (issue: ArtifactPort hot path)"));
    }

    @Override
    public void getRun(GetRunRequest request, StreamObserver<Run> observer) {
        Responses.fail(observer, notImplemented("GetRun", "the run ledger (issue: ArtifactPort hot path)"));
    }

    @Override
    public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> observer) {
        Responses.fail(observer, notImplemented("ListRuns", "the run ledger (issue: ArtifactPort hot path)"));
    }

    @Override
    public void getCandles(GetCandlesRequest request, StreamObserver<Candles> observer) {
        Responses.fail(observer, notImplemented("GetCandles", "the candle cache (issue: ArtifactPort hot path)"));
    }

    @Override
    public void batchGetCandles(BatchGetCandlesRequest request, StreamObserver<BatchGetCandlesResponse> observer) {
        Responses.fail(observer, notImplemented("BatchGetCandles", "the candle cache (issue: ArtifactPort hot path)"));
    }

    @Override
    public void importSnapshot(ImportSnapshotRequest request, StreamObserver<ImportSnapshotResponse> observer) {
        Responses.fail(observer, notImplemented("ImportSnapshot", "the Python worker pool (issue: warm pool and coarse operations)"));
    }

    @Override
    public void query(QueryRequest request, StreamObserver<QueryResponse> observer) {
        Responses.fail(observer, notImplemented("Query", "the Python worker pool (issue: warm pool and coarse operations)"));
    }

    @Override
    public void analyzeSweep(AnalyzeSweepRequest request, StreamObserver<AnalyzeSweepResponse> observer) {
        Responses.fail(observer, notImplemented("AnalyzeSweep", "the Python worker pool (issue: warm pool and coarse operations)"));
    }

    @Override
    public void generateFeatures(GenerateFeaturesRequest request, StreamObserver<GenerateFeaturesResponse> observer) {
        Responses.fail(observer, notImplemented("GenerateFeatures", "the Python worker pool (issue: warm pool and coarse operations)"));
    }

    @Override
    public void generateReport(GenerateReportRequest request, StreamObserver<GenerateReportResponse> observer) {
        Responses.fail(observer, notImplemented("GenerateReport", "the Python worker pool (issue: warm pool and coarse operations)"));
    }

    @Override
    public StreamObserver<AppendRunRowsRequest> appendRunRows(StreamObserver<AppendRunRowsResponse> observer) {
        Responses.fail(observer, notImplemented("AppendRunRows", "the run ledger (issue: ArtifactPort hot path)"));
        return NoMessages.drain();
    }

    @Override
    public StreamObserver<PublishArtifactRequest> publishArtifact(StreamObserver<PublishArtifactResponse> observer) {
        Responses.fail(observer, notImplemented("PublishArtifact", "the Python worker pool (issue: warm pool and coarse operations)"));
        return NoMessages.drain();
    }

    private static StorageException notImplemented(String rpc, String missing) {
        return StorageException.of(ErrorCode.NOT_IMPLEMENTED, "ArtifactPort/" + rpc + " is not implemented in this daemon yet: it needs " + missing);
    }
}
