package io.quantbot.storage.daemon.batch;

import static io.quantbot.storage.daemon.testing.GrpcErrors.badRequest;
import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.Publishes;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactView;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GenerateFeaturesRequest;
import io.quantbot.storage.v1.GenerateFeaturesResponse;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.GenerateReportResponse;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.PublishHeader;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import io.quantbot.storage.v1.ResultFormat;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.ServerInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every coarse ArtifactPort call (ImportSnapshot, GetCandles, Query, publishing, AnalyzeSweep, GenerateFeatures,
 * GenerateReport) through a real daemon with real Python workers, over a loopback port. The contract of every storage
 * engine: a subclass per engine (see EngineUnderTest), so the coarse calls are shown to work unchanged in cluster mode.
 */
@Tag("python")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CoarseOperationsContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract EngineUnderTest engine();

    private static final long T0 = 1_767_225_600_000L;
    private static final String[] TOKENS = {"So11111111111111111111111111111111111111112", "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"};

    private TestingStorageDaemon daemon;
    private ManagedChannel channel;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;
    private Path imports;
    private ImportSnapshotResponse imported;

    @BeforeAll
    void start() throws Exception {
        Path data = Files.createTempDirectory("coarse-");
        imports = Files.createDirectories(data.resolve("imports"));
        daemon = engine().configure(TestingStorageDaemon.builder()).onDisk(data).set("python-worker.pool-size", "2").build();
        channel = daemon.loopbackChannel();
        stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        writeSnapshot(imports.resolve("snap-1"), false);
        imported = stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(imports.resolve("snap-1").toString())
                .putTags("source", "test").build());
    }

    @AfterAll
    void stop() {
        daemon.close();
        daemon.deleteDataDir();
    }

    private static void writeSnapshot(Path dir, boolean badRow) throws Exception {
        Files.createDirectories(dir.resolve("candles"));
        Files.createDirectories(dir.resolve("calls"));
        for (String token : TOKENS) {
            StringBuilder csv = new StringBuilder("token,chain,interval,ts,open,high,low,close,volume\n");
            double price = 1.0;
            for (int i = 0; i < 120; i++) {
                double close = price * (1 + ((i * 31) % 11 - 5) / 500.0);
                double high = Math.max(price, close) * 1.001;
                double low = Math.min(price, close) * 0.999;
                if (badRow && i == 7) {
                    high = low / 2; // high below low: an OHLC violation
                }
                csv.append(String.format(Locale.ROOT, "%s,solana,1m,%d,%.8f,%.8f,%.8f,%.8f,%d%n", token, T0 + i * 60_000L, price, high, low, close, 100 + i));
                price = close;
            }
            Files.writeString(dir.resolve("candles").resolve(token + ".csv"), csv.toString());
        }
        StringBuilder calls = new StringBuilder("call_id,caller,token,chain,ts,price\n");
        for (int i = 0; i < 10; i++) {
            calls.append(String.format(Locale.ROOT, "c%02d,caller-%d,%s,solana,%d,1.0%n", i, i % 3, TOKENS[i % 2], T0 + i * 300_000L));
        }
        Files.writeString(dir.resolve("calls").resolve("calls.csv"), calls.toString());
    }

    @Test
    void importSnapshotRegistersSlicesAndAlertsThatCandlesCanServe() {
        assertThat(imported.getCandleRows()).isEqualTo(240);
        assertThat(imported.getCallRows()).isEqualTo(10);
        assertThat(imported.getArtifactsList()).extracting(Artifact::getType).containsExactlyInAnyOrder("ohlcv_slice", "ohlcv_slice", "alerts");
        assertThat(imported.getArtifactsList()).allSatisfy(artifact -> {
            assertThat(artifact.getId()).startsWith("art_");
            assertThat(artifact.getTagsMap()).containsEntry("source", "test").containsEntry("snapshot", "snap-1");
            // The path is the engine's (data dir or warehouse); the catalog resolves it to the file.
            LakeCatalog catalog = daemon.getInstance(LakeCatalog.class);
            assertThat(catalog.localFile(catalog.get(artifact.getId()).orElseThrow())).exists()
                    .satisfies(file -> assertThat(file.toString()).endsWith(artifact.getPath()));
        });
        Candles candles = stub.getCandles(GetCandlesRequest.newBuilder().setToken(TOKENS[1]).setChain("solana").setInterval("5m")
                .setFromMs(T0).setToMs(T0 + 3_600_000).build());
        assertThat(candles.getTsMsCount()).isEqualTo(12);
        // Importing the same folder again changes nothing: every artifact is deduplicated.
        ImportSnapshotResponse again = stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(imports.resolve("snap-1").toString()).build());
        assertThat(again.getDeduped()).isEqualTo(3);
        assertThat(again.getArtifactsList()).extracting(Artifact::getId)
                .containsExactlyInAnyOrderElementsOf(imported.getArtifactsList().stream().map(Artifact::getId).toList());
    }

    @Test
    void aBadFileIsReportedByFileRowAndColumnAndNothingIsRegistered() throws Exception {
        writeSnapshot(imports.resolve("snap-bad"), true);
        int before = stub.listArtifacts(ListArtifactsRequest.newBuilder().setPageSize(10_000).build()).getArtifactsCount();
        StatusRuntimeException failure = expectError(() -> stub.importSnapshot(ImportSnapshotRequest.newBuilder()
                .setSourceDir(imports.resolve("snap-bad").toString()).build()), Status.Code.INVALID_ARGUMENT, "INVALID_INPUT_DATA");
        assertThat(badRequest(failure).orElseThrow().getFieldViolationsList()).anySatisfy(violation ->
                assertThat(violation.getField()).contains(".csv:8:high"));
        assertThat(stub.listArtifacts(ListArtifactsRequest.newBuilder().setPageSize(10_000).build()).getArtifactsCount()).isEqualTo(before);
        try (var staged = Files.list(daemon.dataDir().resolve("staging"))) {
            assertThat(staged.filter(Files::isRegularFile).toList()).isEmpty();
        }
        // A dry run validates and registers nothing either.
        ImportSnapshotResponse dry = stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(imports.resolve("snap-1").toString())
                .setSnapshotName("dry").setDryRun(true).build());
        assertThat(dry.getArtifactsList()).hasSize(3).allSatisfy(artifact -> assertThat(artifact.getId()).isEmpty());
        assertThat(stub.listArtifacts(ListArtifactsRequest.newBuilder().setPageSize(10_000).build()).getArtifactsCount()).isEqualTo(before);
    }

    @Test
    void pathsOutsideTheImportRootsAreRefused() throws Exception {
        Path outside = Files.createTempDirectory("outside-");
        writeSnapshot(outside, false);
        expectError(() -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(outside.toString()).build()),
                Status.Code.INVALID_ARGUMENT, "PATH_NOT_ALLOWED");
        expectError(() -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(imports.resolve("../..").toString()).build()),
                Status.Code.INVALID_ARGUMENT, "PATH_NOT_ALLOWED");
        Path link = imports.resolve("sneaky");
        Files.createSymbolicLink(link, outside);
        expectError(() -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(link.toString()).build()),
                Status.Code.INVALID_ARGUMENT, "PATH_NOT_ALLOWED");
        expectError(() -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @Test
    void queryReadsNamedViewsAndRefusesEverythingButOneSelect() {
        String alerts = imported.getArtifactsList().stream().filter(a -> a.getType().equals("alerts")).findFirst().orElseThrow().getId();
        List<String> slices = imported.getArtifactsList().stream().filter(a -> a.getType().equals("ohlcv_slice")).map(Artifact::getId).toList();
        QueryResponse json = stub.query(QueryRequest.newBuilder()
                .setSql("SELECT a.caller, count(*) AS calls, round(avg(c.close), 6) AS avg_close FROM alerts a JOIN candles c ON a.token = c.token "
                        + "GROUP BY a.caller ORDER BY a.caller")
                .addViews(ArtifactView.newBuilder().setName("alerts").addArtifactIds(alerts))
                .addViews(ArtifactView.newBuilder().setName("candles").addAllArtifactIds(slices))
                .build());
        assertThat(json.getRowCount()).isEqualTo(3);
        assertThat(json.getJsonRows()).contains("\"caller\"").contains("caller-0");
        assertThat(json.getColumnsList()).extracting(c -> c.getName()).containsExactly("caller", "calls", "avg_close");
        QueryResponse arrow = stub.query(QueryRequest.newBuilder().setSql("SELECT * FROM candles").setFormat(ResultFormat.RESULT_FORMAT_ARROW_IPC)
                .setRowLimit(50).addViews(ArtifactView.newBuilder().setName("candles").addAllArtifactIds(slices)).build());
        assertThat(arrow.getRowCount()).isEqualTo(50);
        assertThat(arrow.getTruncated()).isTrue();
        assertThat(arrow.getArrowIpc().size()).isPositive();

        ArtifactView view = ArtifactView.newBuilder().setName("candles").addAllArtifactIds(slices).build();
        for (String hostile : List.of(
                "SELECT * FROM read_csv('/etc/passwd')",
                "COPY (SELECT 1) TO '" + daemon.dataDir().resolve("lake/x.parquet") + "'",
                "ATTACH '" + daemon.dataDir().resolve("quantbot.duckdb") + "' AS q",
                "INSTALL httpfs",
                "LOAD httpfs",
                "SET threads = 8",
                "SELECT 1; SELECT 2",
                "DROP VIEW candles")) {
            StatusRuntimeException failure = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                    () -> stub.query(QueryRequest.newBuilder().setSql(hostile).addViews(view).build()));
            assertThat(failure).as(hostile).isNotNull();
            assertThat(failure.getStatus().getCode()).as(hostile).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        assertThat(daemon.dataDir().resolve("lake/x.parquet")).doesNotExist();
        expectError(() -> stub.query(QueryRequest.newBuilder().setSql("SELECT 1").addViews(ArtifactView.newBuilder().setName("x").addArtifactIds("art_nope")).build()),
                Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");
        expectError(() -> stub.query(QueryRequest.newBuilder().setSql("SELECT 1").addViews(ArtifactView.newBuilder().setName("Bad-Name").addArtifactIds(alerts)).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @Test
    void aQueryPastItsDeadlineFailsAndTheDaemonStaysUsable() {
        String alerts = imported.getArtifactsList().stream().filter(a -> a.getType().equals("alerts")).findFirst().orElseThrow().getId();
        StatusRuntimeException failure = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class, () ->
                ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS).query(QueryRequest.newBuilder()
                        .setSql("SELECT count(*) FROM range(100000000000) a")
                        .addViews(ArtifactView.newBuilder().setName("alerts").addArtifactIds(alerts)).build()));
        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(stub.query(QueryRequest.newBuilder().setSql("SELECT count(*) AS n FROM alerts")
                .addViews(ArtifactView.newBuilder().setName("alerts").addArtifactIds(alerts)).build()).getJsonRows()).contains("10");
    }

    @Test
    void publishFromAFileFromStreamedRowsAndFromArrow() throws Exception {
        Path file = imports.resolve("calls-extra.csv");
        Files.writeString(file, "call_id,caller,token,chain,ts,price\nx1,zed," + TOKENS[0] + ",solana," + T0 + ",2.5\n");
        PublishArtifactResponse fromFile = publish(List.of(PublishArtifactRequest.newBuilder().setHeader(header("alerts", "extra/alerts").setSourcePath(file.toString())).build()));
        assertThat(fromFile.getArtifact().getRowCount()).isEqualTo(1);
        assertThat(fromFile.getArtifact().getType()).isEqualTo("alerts");

        List<PublishArtifactRequest> rows = new ArrayList<>();
        rows.add(PublishArtifactRequest.newBuilder().setHeader(header("trial_metrics", "optuna/study=1")).build());
        rows.add(PublishArtifactRequest.newBuilder().setChunkSeq(1).setRows(RowChunks.chunk(0, 100)).build());
        rows.add(PublishArtifactRequest.newBuilder().setChunkSeq(2).setRows(RowChunks.chunk(100, 50)).build());
        rows.add(PublishArtifactRequest.newBuilder().setChunkSeq(2).setRows(RowChunks.chunk(100, 50)).build());
        PublishArtifactResponse fromRows = publish(rows);
        assertThat(fromRows.getArtifact().getRowCount()).isEqualTo(150);
        assertThat(fromRows.getArtifact().getColumnsList()).extracting(c -> c.getName()).contains("call_id", "net_return");
        assertThat(publish(rows).getDeduped()).isTrue();

        QueryResponse asArrow = stub.query(QueryRequest.newBuilder().setSql("SELECT call_id, net_return FROM t ORDER BY call_id")
                .setFormat(ResultFormat.RESULT_FORMAT_ARROW_IPC)
                .addViews(ArtifactView.newBuilder().setName("t").addArtifactIds(fromRows.getArtifact().getId())).build());
        ByteString ipc = asArrow.getArrowIpc();
        PublishArtifactResponse fromArrow = publish(List.of(
                PublishArtifactRequest.newBuilder().setHeader(header("trial_metrics", "optuna/study=2")).build(),
                PublishArtifactRequest.newBuilder().setChunkSeq(1).setArrowIpc(ipc.substring(0, ipc.size() / 2)).build(),
                PublishArtifactRequest.newBuilder().setChunkSeq(2).setArrowIpc(ipc.substring(ipc.size() / 2)).build()));
        assertThat(fromArrow.getArtifact().getRowCount()).isEqualTo(150);

        Throwable bad = org.assertj.core.api.Assertions.catchThrowable(() -> publish(List.of(
                PublishArtifactRequest.newBuilder().setHeader(header("alerts", "bad")).build(),
                PublishArtifactRequest.newBuilder().setChunkSeq(1).setRows(RowChunks.chunk(0, 10)).build())));
        assertThat(((StatusRuntimeException) bad).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        Throwable noHeader = org.assertj.core.api.Assertions.catchThrowable(() -> publish(List.of(
                PublishArtifactRequest.newBuilder().setChunkSeq(1).setRows(RowChunks.chunk(0, 10)).build())));
        assertThat(((StatusRuntimeException) noHeader).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void analyzeFeaturesAndReportOverASealedSweep() throws Exception {
        String slice = imported.getArtifactsList().stream().filter(a -> a.getType().equals("ohlcv_slice")).findFirst().orElseThrow().getId();
        for (int scenario = 0; scenario < 3; scenario++) {
            var run = stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw-analyze").setScenarioId("scenario-" + scenario)
                    .addInputArtifactIds(slice).build()).getRun();
            CompletableFuture<Void> done = new CompletableFuture<>();
            StreamObserver<AppendRunRowsRequest> stream = ArtifactPortGrpc.newStub(channel).appendRunRows(completion(done));
            stream.onNext(AppendRunRowsRequest.newBuilder().setRunId(run.getRunId()).setChunkSeq(1).setRows(RowChunks.chunk(scenario * 100, 100)).build());
            stream.onCompleted();
            done.get(60, TimeUnit.SECONDS);
            stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary("mean", 0.01).build());
        }
        AnalyzeSweepResponse analysis = stub.analyzeSweep(AnalyzeSweepRequest.newBuilder().setSweepId("sw-analyze").setTopN(5).build());
        assertThat(analysis.getRows()).isEqualTo(300);
        assertThat(analysis.getLeaderboardsList()).extracting(board -> board.getName()).contains("by_overlay", "by_lag_interval", "by_caller", "by_scenario");
        var byCaller = analysis.getLeaderboardsList().stream().filter(board -> board.getName().equals("by_caller")).findFirst().orElseThrow();
        assertThat(byCaller.getRowsList()).extracting(row -> row.getKeys(0)).containsExactlyInAnyOrder("alice", "bob");
        assertThat(byCaller.getRowsList().stream().mapToLong(row -> row.getCount() + row.getSkipped()).sum()).isEqualTo(300);
        var overall = analysis.getLeaderboardsList().stream().filter(board -> board.getName().equals("overall")).findFirst().orElseThrow();
        assertThat(overall.getRowsList()).singleElement().satisfies(row -> {
            assertThat(row.getCount() + row.getSkipped()).isEqualTo(300);
            assertThat(row.getSkipReasonsMap().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(row.getSkipped());
        });
        expectError(() -> stub.analyzeSweep(AnalyzeSweepRequest.newBuilder().setSweepId("sw-nothing").build()), Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");

        GenerateFeaturesResponse features = stub.generateFeatures(GenerateFeaturesRequest.newBuilder().addOhlcvArtifactIds(slice).addWindows(5).build());
        assertThat(features.getArtifact().getType()).isEqualTo("features");
        assertThat(features.getArtifact().getInputArtifactIdsList()).containsExactly(slice);
        assertThat(features.getArtifact().getColumnsList()).extracting(c -> c.getName()).contains("ret_1", "vol_5", "atr_5", "volume_z_5", "drawdown");

        GenerateReportResponse report = stub.generateReport(GenerateReportRequest.newBuilder().setSweepId("sw-analyze").setTitle("Test sweep")
                .setSpecText("fees:\n  taker_bps: 30\n").putFacts("python_worker_spawns", "0").build());
        assertThat(report.getArtifact().getType()).isEqualTo("report");
        String html = Files.readString(Path.of(report.getPath()));
        // plotly.js is inlined and carries URLs in strings; the page's own markup must load nothing
        String markup = html.replaceAll("(?s)<script>.*?</script>", "<script></script>");
        assertThat(html).contains("Test sweep").contains("<table").contains("taker_bps: 30").contains("python worker spawns")
                .contains("Plotly.newPlot");
        assertThat(markup).doesNotContain("src=\"http").doesNotContain("href=\"http");
        expectError(() -> stub.generateReport(GenerateReportRequest.newBuilder().setSweepId("sw-analyze")
                .setSpecText("x".repeat(256 * 1024 + 1)).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.generateReport(GenerateReportRequest.newBuilder().setSweepId("sw-analyze")
                .putFacts("", "empty key").build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        assertThat(report.getArtifact().getInputArtifactIdsCount()).isEqualTo(3);

        ServerInfo info = stub.getServerInfo(GetServerInfoRequest.getDefaultInstance());
        assertThat(info.getWorkerPoolSize()).isEqualTo(2);
        assertThat(info.getWorkersReady()).isEqualTo(2);
        assertThat(info.getWorkerSpawnCount()).isGreaterThanOrEqualTo(2);
        assertThat(info.getPythonDuckdbVersion()).contains("1.5.6");
    }

    private PublishArtifactResponse publish(List<PublishArtifactRequest> messages) throws Exception {
        return Publishes.publish(channel, messages);
    }

    private static PublishHeader.Builder header(String type, String key) {
        return PublishHeader.newBuilder().setType(type).setLogicalKey(key);
    }

    private static <T> StreamObserver<T> completion(CompletableFuture<Void> done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {}

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
    }
}
