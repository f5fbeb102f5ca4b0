package io.quantbot.storage.daemon.run;

import static io.quantbot.storage.daemon.testing.GrpcErrors.errorInfo;
import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.GrpcErrors;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.RunAppends;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResponse;
import io.quantbot.storage.v1.DoubleColumn;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetLineageRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.LineageDirection;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.ListRunsResponse;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import io.quantbot.storage.v1.StringColumn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Runs over a real loopback port: create, stream rows (retries, gaps, bad rows, cancel), finish and seal, list. 
 * The contract of every storage engine: run against each one by a subclass (see EngineUnderTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RunsContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract EngineUnderTest engine();

    private TestingStorageDaemon daemon;
    private ManagedChannel channel;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;
    private String candlesId;

    @BeforeAll
    void start() throws Exception {
        daemon = engine().configure(TestingStorageDaemon.builder()).onDisk(Files.createTempDirectory("runs-")).set("runs.max-rows-per-chunk", "5000").build();
        channel = daemon.loopbackChannel();
        stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        candlesId = LakeFixtures.publishCandles(daemon, "s1", "TokenA1111111111111111111111111111111111", "solana", "1m",
                LakeFixtures.minuteCandles(1_767_225_600_000L, 100)).artifact().id();
    }

    @AfterAll
    void stop() {
        daemon.close();
        daemon.deleteDataDir();
    }

    private Run create(String sweep, String scenario) {
        return stub.createRun(CreateRunRequest.newBuilder().setSweepId(sweep).setScenarioId(scenario)
                .setParamsJson("{\"lag_ms\": 30000}").addInputArtifactIds(candlesId).build()).getRun();
    }

    private Run createWithKey(String sweep, String scenario) {
        return stub.createRun(CreateRunRequest.newBuilder().setSweepId(sweep).setScenarioId(scenario).setIdempotencyKey(sweep + "/" + scenario)
                .setParamsJson("{\"lag_ms\": 30000}").addInputArtifactIds(candlesId).build()).getRun();
    }

    private AppendRunRowsResponse append(String runId, List<AppendRunRowsRequest> chunks) throws Exception {
        return RunAppends.append(channel, chunks);
    }

    private static AppendRunRowsRequest chunk(String runId, long seq, int firstRow, int rows) {
        return AppendRunRowsRequest.newBuilder().setRunId(runId).setChunkSeq(seq).setRows(RowChunks.chunk(firstRow, rows)).build();
    }

    private static List<AppendRunRowsRequest> chunks(String runId, int from, int to, int rowsPerChunk) {
        List<AppendRunRowsRequest> list = new ArrayList<>();
        for (int seq = from; seq <= to; seq++) {
            list.add(chunk(runId, seq, (seq - 1) * rowsPerChunk, rowsPerChunk));
        }
        return list;
    }

    @Test
    void createIsIdempotentPerKeyAndValidatesItsInput() {
        CreateRunRequest request = CreateRunRequest.newBuilder().setSweepId("sw-1").setScenarioId("i=1m/lag=30s/ov=tp50_sl20")
                .setIdempotencyKey("sw-1/i=1m/lag=30s/ov=tp50_sl20").build();
        CreateRunResponse first = stub.createRun(request);
        CreateRunResponse again = stub.createRun(request);
        assertThat(first.getCreated()).isTrue();
        assertThat(again.getCreated()).isFalse();
        assertThat(again.getRun().getRunId()).isEqualTo(first.getRun().getRunId());
        assertThat(first.getRun().getStatus()).isEqualTo(RunStatus.RUN_STATUS_RUNNING);
        assertThat(first.getRun().getParamsJson()).isEqualTo("{}");

        expectError(() -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("bad sweep").setScenarioId("s").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").setParamsJson("[1]").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").setParamsJson("{oops").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").addInputArtifactIds("art_missing").build()),
                Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");
        expectError(() -> stub.getRun(GetRunRequest.newBuilder().setRunId("run_01ARZ3NDEKTSV4RRFFQ69G5FAV").build()), Status.Code.NOT_FOUND, "RUN_NOT_FOUND");
        expectError(() -> stub.getRun(GetRunRequest.newBuilder().setRunId("nope").build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    /** An error message keeps its lines, tabs and any character, up to 8192, but never NUL, which is refused on every engine. */
    @Test
    void anErrorMessageKeepsItsTextButNotANul() {
        Run run = create("sw-error", "s");
        StatusRuntimeException nul = expectError(() -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId())
                .setStatus(RunStatus.RUN_STATUS_FAILED).setErrorMessage("boom\0after").build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        assertThat(nul.getStatus().getDescription()).contains("NUL").contains("position 4");
        assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(run.getRunId()).build()).getStatus()).as("still open")
                .isEqualTo(RunStatus.RUN_STATUS_RUNNING);
        String text = "Traceback (most recent call last):\n\tFile \"x.py\", line 1\r\nValueError: \u00e9\u20ac\ud840\udc00 " + "x".repeat(8000);
        Run failed = stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_FAILED)
                .setErrorMessage(text).build());
        assertThat(failed.getErrorMessage()).isEqualTo(text);
        assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(run.getRunId()).build()).getErrorMessage()).isEqualTo(text);
    }

    @Test
    void retriedChunksAreNoOpsAndFinishSealsReadableParquetWithLineage() throws Exception {
        Run run = createWithKey("sw-seal", "i=1m/lag=30s/ov=tp50_sl20");
        AppendRunRowsResponse first = append(run.getRunId(), chunks(run.getRunId(), 1, 3, 400));
        assertThat(first.getChunksCommitted()).isEqualTo(3);
        assertThat(first.getRowsCommitted()).isEqualTo(1200);
        // The client lost the answer and re-sends everything, plus one new chunk.
        AppendRunRowsResponse retried = append(run.getRunId(), chunks(run.getRunId(), 1, 4, 400));
        assertThat(retried.getDuplicateChunks()).isEqualTo(3);
        assertThat(retried.getChunksCommitted()).isEqualTo(1);
        assertThat(retried.getRunRowCount()).isEqualTo(1600);
        assertThat(retried.getCommittedChunkSeq()).isEqualTo(4);

        Run finished = stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                .putSummary("mean_net", 0.012).putSummary("win_rate", 0.55).build());
        assertThat(finished.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(finished.getRowCount()).isEqualTo(1600);
        assertThat(finished.getSummaryMap()).containsEntry("mean_net", 0.012);
        assertThat(finished.getResultArtifactId()).startsWith("art_");

        Artifact sealed = stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(finished.getResultArtifactId()).build());
        assertThat(sealed.getType()).isEqualTo("run_results");
        assertThat(sealed.getRowCount()).isEqualTo(1600);
        assertThat(sealed.getTagsMap()).containsEntry("sweep_id", "sw-seal").containsEntry("run_id", run.getRunId());
        assertThat(sealed.getInputArtifactIdsList()).containsExactly(candlesId);
        assertThat(sealed.getMinTsMs()).isEqualTo(1_767_225_600_000L);
        assertThat(stub.getLineage(GetLineageRequest.newBuilder().setArtifactId(candlesId).setDirection(LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM).build())
                .getArtifactsList()).extracting(Artifact::getId).contains(sealed.getId());

        // Plain DuckDB, another connection, reads the same rows back.
        // Where the engine keeps the file: the data dir's lake (embedded) or the shared warehouse (cluster).
        io.quantbot.storage.daemon.artifact.LakeCatalog catalog = daemon.getInstance(io.quantbot.storage.daemon.artifact.LakeCatalog.class);
        Path file = Path.of(catalog.location(catalog.get(sealed.getId()).orElseThrow()).uri());
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*), count(DISTINCT call_id), sum(CASE WHEN skip_reason IS NULL THEN 1 ELSE 0 END), "
                        + "min(sweep_id), min(scenario_id), min(run_id), sum(net_return), min(caller), max(caller) FROM read_parquet('" + file + "')")) {
            rows.next();
            assertThat(rows.getLong(1)).isEqualTo(1600);
            assertThat(rows.getLong(2)).isEqualTo(1600);
            assertThat(rows.getLong(3)).isEqualTo(1440);
            assertThat(rows.getString(4)).isEqualTo("sw-seal");
            assertThat(rows.getString(5)).isEqualTo("i=1m/lag=30s/ov=tp50_sl20");
            assertThat(rows.getString(6)).isEqualTo(run.getRunId());
            double expectedNet = 0;
            for (int row = 0; row < 1600; row++) {
                expectedNet += row % 7 / 100.0 - 0.008;
            }
            assertThat(rows.getDouble(7)).isCloseTo(expectedNet, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(rows.getString(8)).isEqualTo("alice");
            assertThat(rows.getString(9)).isEqualTo("bob");
        }
        // Sealed rows left the hot table.
        assertThat(hotRows(run.getRunId())).isZero();

        // Finishing again the same way is a no-op answered exactly as GetRun (idempotency key included); rows can no
        // longer be appended.
        Run again = stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build());
        assertThat(again.getResultArtifactId()).isEqualTo(sealed.getId());
        assertThat(again).isEqualTo(stub.getRun(GetRunRequest.newBuilder().setRunId(run.getRunId()).build()));
        assertThat(finished).isEqualTo(again);
        expectError(() -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_FAILED).build()),
                Status.Code.FAILED_PRECONDITION, "RUN_NOT_OPEN");
        StatusRuntimeException closed = (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(
                () -> append(run.getRunId(), chunks(run.getRunId(), 5, 5, 10)));
        assertThat(closed.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(errorInfo(closed).orElseThrow().getReason()).isEqualTo("RUN_NOT_OPEN");
        expectError(() -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @Test
    void aChunkResentUnderACommittedNumberWithDifferentRowsIsRefusedAndNothingChanges() throws Exception {
        Run run = create("sw-conflict", "s");
        String id = run.getRunId();
        append(id, chunks(id, 1, 2, 100));
        // The same chunk again is a retry.
        assertThat(append(id, List.of(chunk(id, 2, 100, 100))).getDuplicateChunks()).isEqualTo(1);
        // Other rows under a used number (a client that lost count) would be dropped silently if taken as a retry.
        assertThat(reason(() -> append(id, List.of(chunk(id, 2, 500, 100))))).isEqualTo("CHUNK_CONFLICT");
        assertThat(reason(() -> append(id, List.of(chunk(id, 1, 0, 99))))).as("one row fewer").isEqualTo("CHUNK_CONFLICT");
        // Twice in one stream, so maybe in one group commit: the first is stored, the second refused.
        assertThat(reason(() -> append(id, List.of(chunk(id, 3, 200, 100), chunk(id, 3, 900, 100))))).isEqualTo("CHUNK_CONFLICT");
        assertThat(hotRows(id)).isEqualTo(300);
        assertThat(hotRowsDistinct(id)).isEqualTo(300);
        // A retry of every chunk, after all that, is still a retry; and it still is once the run is sealed.
        assertThat(append(id, chunks(id, 1, 3, 100)).getDuplicateChunks()).isEqualTo(3);
        stub.finishRun(FinishRunRequest.newBuilder().setRunId(id).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build());
        assertThat(append(id, chunks(id, 1, 3, 100)).getDuplicateChunks()).isEqualTo(3);
        assertThat(reason(() -> append(id, List.of(chunk(id, 3, 901, 100))))).isEqualTo("CHUNK_CONFLICT");
    }

    @Test
    void badChunksFailTheStreamWithClearErrors() throws Exception {
        Run run = create("sw-bad", "s");
        String id = run.getRunId();
        assertThat(reason(() -> append(id, List.of(chunk(id, 2, 0, 10))))).isEqualTo("CHUNK_OUT_OF_ORDER");
        assertThat(reason(() -> append(id, List.of(chunk(id, 0, 0, 10))))).isEqualTo("INVALID_ARGUMENT");
        RowChunk unknownColumn = RowChunks.chunk(0, 5).toBuilder()
                .addColumns(Column.newBuilder().setName("pnl").setDoubles(DoubleColumn.newBuilder().addValues(1).addValues(2).addValues(3).addValues(4).addValues(5)))
                .build();
        assertThat(reason(() -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(unknownColumn).build()))))
                .isEqualTo("INVALID_ROWS");
        RowChunk wrongType = RowChunk.newBuilder().setRowCount(1)
                .addColumns(Column.newBuilder().setName("call_id").setStrings(StringColumn.newBuilder().addValues("c")))
                .addColumns(Column.newBuilder().setName("net_return").setStrings(StringColumn.newBuilder().addValues("0.1")))
                .build();
        assertThat(reason(() -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(wrongType).build()))))
                .isEqualTo("INVALID_ROWS");
        RowChunk shortColumn = RowChunk.newBuilder().setRowCount(2)
                .addColumns(Column.newBuilder().setName("call_id").setStrings(StringColumn.newBuilder().addValues("c")))
                .build();
        assertThat(reason(() -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(shortColumn).build()))))
                .isEqualTo("INVALID_ROWS");
        RowChunk noCallId = RowChunk.newBuilder().setRowCount(1)
                .addColumns(Column.newBuilder().setName("net_return").setDoubles(DoubleColumn.newBuilder().addValues(1)))
                .build();
        assertThat(reason(() -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(noCallId).build()))))
                .isEqualTo("INVALID_ROWS");
        assertThat(reason(() -> append(id, List.of(chunk(id, 1, 0, 5001))))).isEqualTo("REQUEST_TOO_LARGE");
        assertThat(reason(() -> append(id, List.of(chunk(id, 1, 0, 5), chunk("run_01ARZ3NDEKTSV4RRFFQ69G5FAV", 2, 5, 5)))))
                .isEqualTo("INVALID_ARGUMENT");
        assertThat(reason(() -> append("run_01ARZ3NDEKTSV4RRFFQ69G5FAV", List.of(chunk("run_01ARZ3NDEKTSV4RRFFQ69G5FAV", 1, 0, 5)))))
                .isEqualTo("RUN_NOT_FOUND");
        // Whatever failed, the first chunk (committed before the bad one in the last multi-chunk stream) is the only one in.
        Run after = stub.getRun(GetRunRequest.newBuilder().setRunId(id).build());
        assertThat(after.getCommittedChunkSeq()).isEqualTo(1);
        assertThat(after.getRowCount()).isEqualTo(5);
        assertThat(hotRows(id)).isEqualTo(5);
    }

    @Test
    void aChunkThatLeavesOutRequiredColumnsIsRefusedNamingThemAndStoresNothing() throws Exception {
        Run run = create("sw-missing", "s");
        String id = run.getRunId();
        RowChunk full = RowChunks.chunk(0, 5);
        // 10 of the 22 columns a client sends: what a sloppy client did, and the daemon stored as NULLs.
        RowChunk.Builder partial = RowChunk.newBuilder().setRowCount(5);
        List<String> kept = List.of("call_id", "caller", "interval", "call_ts", "lag_ms", "gross_return", "net_return", "tradeable", "skip_reason",
                "token");
        full.getColumnsList().stream().filter(column -> kept.contains(column.getName())).forEach(partial::addColumns);
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                () -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(partial).build())));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(errorInfo(refused).orElseThrow().getReason()).isEqualTo("INVALID_ROWS");
        assertThat(refused.getStatus().getDescription()).contains("leaves out 10 required run_results columns")
                .contains("overlay_set", "chain", "entry_ts", "entry_px", "exit_ts", "exit_px", "exit_reason", "fees", "slippage", "candles_used");
        assertThat(errorInfo(refused).orElseThrow().getMetadataMap().get("missing_columns"))
                .isEqualTo("overlay_set,chain,entry_ts,entry_px,exit_ts,exit_px,exit_reason,fees,slippage,candles_used");
        assertThat(GrpcErrors.badRequest(refused).orElseThrow().getFieldViolationsList()).hasSize(10);
        // One column short is refused too.
        RowChunk.Builder oneShort = RowChunk.newBuilder().setRowCount(5);
        full.getColumnsList().stream().filter(column -> !column.getName().equals("slippage")).forEach(oneShort::addColumns);
        assertThat(reason(() -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(oneShort).build()))))
                .isEqualTo("INVALID_ROWS");
        assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRowCount()).isZero();
        assertThat(hotRows(id)).isZero();
        // sweep_id and scenario_id are the optional ones (the fixture leaves them out): they default to the run's.
        append(id, List.of(chunk(id, 1, 0, 5)));
        assertThat(hotRows(id)).isEqualTo(5);
    }

    @Test
    void nonFiniteResultsAndSummariesAreRefusedButNullsAreKept() throws Exception {
        Run run = create("sw-nan", "s");
        String id = run.getRunId();
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            for (String column : List.of("net_return", "fees", "entry_px")) {
                RowChunk.Builder chunk = RowChunks.chunk(0, 5).toBuilder();
                for (int c = 0; c < chunk.getColumnsCount(); c++) {
                    if (chunk.getColumns(c).getName().equals(column)) {
                        chunk.setColumns(c, chunk.getColumns(c).toBuilder().setDoubles(chunk.getColumns(c).getDoubles().toBuilder().setValues(3, bad)));
                    }
                }
                StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
                        () -> append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(chunk).build())));
                assertThat(refused.getStatus().getCode()).as("%s = %s", column, bad).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(refused.getStatus().getDescription()).contains(column).contains("row 3").contains(Double.toString(bad));
            }
        }
        assertThat(hotRows(id)).isZero();
        // A NaN under a set null bit is a NULL, not a NaN: stored as NULL.
        RowChunk.Builder masked = RowChunks.chunk(0, 5).toBuilder();
        for (int c = 0; c < masked.getColumnsCount(); c++) {
            if (masked.getColumns(c).getName().equals("net_return")) {
                masked.setColumns(c, masked.getColumns(c).toBuilder().setDoubles(masked.getColumns(c).getDoubles().toBuilder().setValues(3, Double.NaN))
                        .setNullBitmap(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0b00001000})));
            }
        }
        append(id, List.of(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(1).setRows(masked).build()));
        assertThat(hotRows(id)).isEqualTo(5);
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            StatusRuntimeException refused = expectError(() -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(id)
                    .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary("sharpe", bad).putSummary("trades", 5).build()),
                    Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
            assertThat(refused.getStatus().getDescription()).contains("sharpe").contains(Double.toString(bad));
        }
        assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getStatus()).isEqualTo(RunStatus.RUN_STATUS_RUNNING);
        Run finished = stub.finishRun(FinishRunRequest.newBuilder().setRunId(id).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary("trades", 5).build());
        assertThat(finished.getSummaryMap()).containsEntry("trades", 5.0);
    }

    @Test
    void aCancelledStreamKeepsExactlyItsAcknowledgedChunksAndResumesWithoutDuplicates() throws Exception {
        Run run = create("sw-cancel", "s");
        String id = run.getRunId();
        CompletableFuture<AppendRunRowsResponse> done = new CompletableFuture<>();
        ClientCallStreamObserver<AppendRunRowsRequest>[] call = new ClientCallStreamObserver[1];
        ArtifactPortGrpc.newStub(channel).appendRunRows(new ClientResponseObserver<AppendRunRowsRequest, AppendRunRowsResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<AppendRunRowsRequest> requestStream) {
                call[0] = requestStream;
            }

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
        for (int seq = 1; seq <= 5; seq++) {
            call[0].onNext(chunk(id, seq, (seq - 1) * 200, 200));
        }
        Await.until("chunks 1-5 acknowledged", Duration.ofSeconds(30),
                () -> stub.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getCommittedChunkSeq() == 5);
        for (int seq = 6; seq <= 40; seq++) {
            call[0].onNext(chunk(id, seq, (seq - 1) * 200, 200));
        }
        io.micrometer.core.instrument.search.Search cancelledCalls = daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class)
                .find("quantbot.grpc.server.calls").tag("method", "quantbot.storage.v1.ArtifactPort/AppendRunRows").tag("code", "CANCELLED");
        long cancelledBefore = cancelledCalls.timer() == null ? 0 : cancelledCalls.timer().count();
        call[0].cancel("client gave up", null);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> done.get(30, TimeUnit.SECONDS))).isNotNull();
        // The server saw the cancel (its stream stops applying chunks) once the call is recorded as CANCELLED; a write
        // queued behind the chunks it already handed to the writer then commits after all of them (the writer is FIFO).
        Await.until("the server recorded the cancelled call", Duration.ofSeconds(30),
                () -> cancelledCalls.timer() != null && cancelledCalls.timer().count() == cancelledBefore + 1);
        create("s-cancel-barrier", "write-barrier");
        Run afterCancel = stub.getRun(GetRunRequest.newBuilder().setRunId(id).build());
        long acknowledged = afterCancel.getCommittedChunkSeq();
        assertThat(acknowledged).isBetween(5L, 40L);
        // Acknowledged chunks are all there, unacknowledged ones are not: rows match the watermark exactly.
        assertThat(afterCancel.getRowCount()).isEqualTo(acknowledged * 200);
        assertThat(hotRows(id)).isEqualTo(acknowledged * 200);

        AppendRunRowsResponse resumed = append(id, chunks(id, 1, 40, 200));
        assertThat(resumed.getDuplicateChunks()).isEqualTo(acknowledged);
        assertThat(resumed.getRunRowCount()).isEqualTo(8000);
        assertThat(hotRowsDistinct(id)).isEqualTo(8000);
    }

    @Test
    void sweepSealPutsSucceededRunsTogetherAndDeferWaitsForIt() throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Run run = create("sw-together", "scenario-" + i);
            append(run.getRunId(), chunks(run.getRunId(), 1, 2, 50));
            runs.add(run);
        }
        Run deferred = stub.finishRun(FinishRunRequest.newBuilder().setRunId(runs.get(0).getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                .setSeal(SealMode.SEAL_MODE_DEFER).build());
        assertThat(deferred.getResultArtifactId()).isEmpty();
        Run failed = stub.finishRun(FinishRunRequest.newBuilder().setRunId(runs.get(1).getRunId()).setStatus(RunStatus.RUN_STATUS_FAILED)
                .setErrorMessage("candles missing").setSeal(SealMode.SEAL_MODE_DEFER).build());
        assertThat(failed.getErrorMessage()).isEqualTo("candles missing");
        Run last = stub.finishRun(FinishRunRequest.newBuilder().setRunId(runs.get(2).getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                .setSeal(SealMode.SEAL_MODE_SWEEP).build());
        String together = last.getResultArtifactId();
        assertThat(together).isNotEmpty();
        assertThat(stub.getRun(GetRunRequest.newBuilder().setRunId(runs.get(0).getRunId()).build()).getResultArtifactId()).isEqualTo(together);
        String failedArtifact = stub.getRun(GetRunRequest.newBuilder().setRunId(runs.get(1).getRunId()).build()).getResultArtifactId();
        assertThat(failedArtifact).isNotEmpty().isNotEqualTo(together);
        Artifact sealed = stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(together).build());
        assertThat(sealed.getRowCount()).isEqualTo(200);
        assertThat(sealed.getTagsMap()).containsEntry("run_status", "succeeded");
        assertThat(stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(failedArtifact).build()).getTagsMap())
                .containsEntry("run_status", "failed");
    }

    @Test
    void concurrentSweepSealsSealEveryRunExactlyOnce() throws Exception {
        int runCount = 12;
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < runCount; i++) {
            Run run = create("sw-race", "scenario-" + i);
            append(run.getRunId(), chunks(run.getRunId(), 1, 2, 25));
            runs.add(run);
        }
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(runCount);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Run>> finished = new ArrayList<>();
            for (Run run : runs) {
                finished.add(callers.submit(() -> {
                    go.await();
                    return stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId())
                            .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setSeal(SealMode.SEAL_MODE_SWEEP).build());
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<Run> future : finished) {
                assertThat(future.get(60, java.util.concurrent.TimeUnit.SECONDS).getResultArtifactId()).isNotEmpty();
            }
        } finally {
            callers.shutdownNow();
        }
        // Every row is in exactly one sealed artifact: no run went into two seals.
        // (Asked through the port, so it holds on every engine's catalog.)
        assertThat(stub.listArtifacts(io.quantbot.storage.v1.ListArtifactsRequest.newBuilder().setType("run_results").putTags("sweep_id", "sw-race")
                .setPageSize(10_000).build()).getArtifactsList().stream().mapToLong(Artifact::getRowCount).sum()).isEqualTo(runCount * 50L);
        for (Run run : runs) {
            assertThat(hotRows(run.getRunId())).isZero();
        }
    }

    @Test
    void listRunsPagesInCreationOrderAndFiltersByStatus() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(create("sw-list", "s" + i).getRunId());
        }
        stub.finishRun(FinishRunRequest.newBuilder().setRunId(ids.get(3)).setStatus(RunStatus.RUN_STATUS_CANCELLED).build());
        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            ListRunsResponse page = stub.listRuns(ListRunsRequest.newBuilder().setSweepId("sw-list").setPageSize(3).setPageToken(token).build());
            page.getRunsList().forEach(run -> seen.add(run.getRunId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertThat(seen).containsExactlyElementsOf(ids);
        assertThat(stub.listRuns(ListRunsRequest.newBuilder().setSweepId("sw-list").setStatus(RunStatus.RUN_STATUS_CANCELLED).build()).getRunsList())
                .extracting(Run::getRunId).containsExactly(ids.get(3));
        String firstToken = stub.listRuns(ListRunsRequest.newBuilder().setSweepId("sw-list").setPageSize(2).build()).getNextPageToken();
        expectError(() -> stub.listRuns(ListRunsRequest.newBuilder().setSweepId("sw-other").setPageToken(firstToken).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
    }

    private static String reason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(call);
        assertThat(failure).isInstanceOf(StatusRuntimeException.class);
        return errorInfo((StatusRuntimeException) failure).orElseThrow().getReason();
    }

    private long hotRows(String runId) throws Exception {
        return count("SELECT count(*) FROM run_rows WHERE run_id = '" + runId + "'");
    }

    private long hotRowsDistinct(String runId) throws Exception {
        return count("SELECT count(DISTINCT call_id) FROM run_rows WHERE run_id = '" + runId + "'");
    }

    private long count(String sql) throws Exception {
        try (Connection connection = daemon.getInstance(io.quantbot.storage.daemon.storage.duckdb.DuckDbDatabase.class).duplicateConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
