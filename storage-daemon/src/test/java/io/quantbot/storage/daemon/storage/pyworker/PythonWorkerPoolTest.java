package io.quantbot.storage.daemon.storage.pyworker;

import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.alive;
import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.failure;
import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.signal;
import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.daemon.batch.AnalyzeSweepCommand;
import io.quantbot.storage.daemon.batch.AnalyzeSweepResult;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.CancellationSignal;
import io.quantbot.storage.daemon.batch.ColumnInfo;
import io.quantbot.storage.daemon.batch.GenerateFeaturesCommand;
import io.quantbot.storage.daemon.batch.GenerateReportCommand;
import io.quantbot.storage.daemon.batch.ImportSnapshotCommand;
import io.quantbot.storage.daemon.batch.ImportSnapshotResult;
import io.quantbot.storage.daemon.batch.Leaderboard;
import io.quantbot.storage.daemon.batch.ProducedArtifact;
import io.quantbot.storage.daemon.batch.PublishArtifactCommand;
import io.quantbot.storage.daemon.batch.QueryCommand;
import io.quantbot.storage.daemon.batch.QueryFormat;
import io.quantbot.storage.daemon.batch.QueryResult;
import io.quantbot.storage.daemon.batch.RunSummary;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Result;
import io.quantbot.storage.worker.v1.SleepOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pool with real Python workers (the venv of python-worker): every batch operation on small
 * generated data, hostile inputs, and the failure paths (SIGKILL, deadlines, cancel, queue full,
 * recycling, a worker that cannot start, unresponsive workers, graceful stop).
 */
@Tag("python")
class PythonWorkerPoolTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path sharedDir;

    /** Two workers shared by the happy paths and hostile inputs: none of them may cost a worker. */
    private static PoolFixture shared;

    @TempDir
    Path dir;

    @BeforeAll
    static void startSharedPool() throws Exception {
        shared = PoolFixture.start(sharedDir.resolve("data"), "python-worker.pool-size", "2").awaitWarm();
    }

    @AfterAll
    static void stopSharedPool() throws Exception {
        if (shared != null) {
            assertThat(shared.pool.spawnCount()).as("spawns of the shared pool").isEqualTo(2);
            shared.close();
        }
    }

    // ------------------------------------------------------------------ the happy paths

    @Test
    void startsWarmAndReportsItself() {
        assertThat(shared.readiness.reasons()).doesNotContainKey(ProcessWorkerPool.READINESS_CONDITION);
        assertThat(shared.pool.poolSize()).isEqualTo(2);
        assertThat(shared.pool.workersReady()).isEqualTo(2);
        assertThat(shared.pool.spawnCount()).isEqualTo(2);
        assertThat(shared.pool.pythonVersion()).startsWith("3.");
        assertThat(shared.pool.pythonDuckDbVersion()).matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(shared.counter("quantbot.python_worker.spawns", "reason", "start")).isEqualTo(2);
        assertThat(shared.counter("quantbot.python_worker.spawns", "reason", "replace")).isZero();
        assertThat(shared.gauge("quantbot.python_worker.workers_ready")).isEqualTo(2);
        assertThat(shared.gauge("quantbot.python_worker.spawn_storm")).isZero();
        try (Stream<Path> trees = listQuietly(shared.dataDir.resolve("worker-code"))) {
            assertThat(trees.map(path -> path.getFileName().toString()).filter(name -> name.matches("[0-9a-f]{16}")))
                    .singleElement()
                    .satisfies(hash -> assertThat(shared.dataDir.resolve("worker-code").resolve(hash).resolve("quantbot_worker/__main__.py"))
                            .isRegularFile());
        }
    }

    @Test
    void queryRoundTripInJsonAndArrow() throws Exception {
        Path candles = TestFiles.candlesParquet(shared.database.lakeDir().resolve("ohlcv_slice/v1/query-test.parquet"), 100);
        QueryResult json = value(shared.engine.query(new QueryCommand(
                "SELECT count(*) AS n, round(avg(close), 6) AS avg_close FROM candles", Map.of("candles", List.of(candles)),
                QueryFormat.JSON, 0), BatchCallOptions.withTimeout(Duration.ofSeconds(30))));
        assertThat(json.columns()).containsExactly(new ColumnInfo("n", "BIGINT"), new ColumnInfo("avg_close", "DOUBLE"));
        assertThat(json.rowCount()).isEqualTo(1);
        assertThat(json.truncated()).isFalse();
        assertThat(json.arrowIpc()).isEmpty();
        JsonNode row = JSON.readTree(json.jsonRows().orElseThrow()).get(0);
        assertThat(row.get("n").asLong()).isEqualTo(100);
        assertThat(row.get("avg_close").asDouble()).isCloseTo(1.145, within(1e-9));

        QueryResult arrow = value(shared.engine.query(new QueryCommand(
                "SELECT ts, close FROM candles ORDER BY ts", Map.of("candles", List.of(candles)), QueryFormat.ARROW, 10),
                BatchCallOptions.none()));
        assertThat(arrow.rowCount()).isEqualTo(10);
        assertThat(arrow.truncated()).isTrue();
        assertThat(arrow.jsonRows()).isEmpty();
        byte[] ipc = arrow.arrowIpc().orElseThrow();
        // An Arrow IPC stream starts with the continuation marker of its schema message.
        assertThat(ipc).startsWith((byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF);
        assertThat(arrow.columns()).extracting(ColumnInfo::name).containsExactly("ts", "close");
    }

    @Test
    void importSnapshotWritesOneSlicePerSeriesAndTheAlerts() throws Exception {
        TestFiles.snapshot(shared.imports().resolve("snap-ok"));
        ImportSnapshotResult dryRun = value(shared.engine.importSnapshot(
                new ImportSnapshotCommand(Path.of("snap-ok"), "dry", true), BatchCallOptions.none()));
        assertThat(dryRun.artifacts()).hasSize(4).allSatisfy(artifact -> assertThat(artifact.stagingPath()).isEmpty());

        ImportSnapshotResult result = value(shared.engine.importSnapshot(
                new ImportSnapshotCommand(shared.imports().resolve("snap-ok"), "", false), BatchCallOptions.none()));
        assertThat(result.files()).isEqualTo(4);
        assertThat(result.candleRows()).isEqualTo(110);
        assertThat(result.callRows()).isEqualTo(3);
        assertThat(result.artifacts()).extracting(ProducedArtifact::logicalKey).containsExactlyInAnyOrder(
                "snapshot=snap-ok/chain=solana/token=" + TestFiles.SOL + "/res=1m",
                "snapshot=snap-ok/chain=solana/token=" + TestFiles.SOL + "/res=5m",
                "snapshot=snap-ok/chain=ethereum/token=" + TestFiles.PEPE + "/res=1m",
                "snapshot=snap-ok/alerts");
        ProducedArtifact sol = result.artifacts().stream().filter(a -> a.logicalKey().endsWith(TestFiles.SOL + "/res=1m")).findFirst().orElseThrow();
        assertThat(sol.type()).isEqualTo("ohlcv_slice");
        assertThat(sol.schemaVersion()).isEqualTo(1);
        assertThat(sol.rowCount()).isEqualTo(50);
        assertThat(sol.minTsMs()).isEqualTo(TestFiles.START);
        assertThat(sol.maxTsMs()).isEqualTo(TestFiles.START + 49 * 60_000);
        assertThat(sol.columns()).extracting(ColumnInfo::name)
                .containsExactly("token", "chain", "interval", "ts", "open", "high", "low", "close", "volume");
        assertThat(sol.tags()).containsEntry("token", TestFiles.SOL).containsEntry("interval", "1m").containsEntry("snapshot", "snap-ok");
        assertThat(sol.contentHash()).isNotBlank();
        assertThat(sol.fileHash()).hasSize(64);
        assertThat(sol.extension()).isEqualTo("parquet");
        assertThat(JSON.readTree(sol.paramsJson()).get("snapshot").asText()).isEqualTo("snap-ok");
        Path staged = sol.stagingPath().orElseThrow();
        assertThat(staged).startsWith(shared.database.stagingDir()).isRegularFile();
        assertThat(Files.size(staged)).isEqualTo(sol.sizeBytes());
        // Same rows, same content hash, whether or not a file was written.
        assertThat(dryRun.artifacts()).extracting(ProducedArtifact::contentHash)
                .containsExactlyInAnyOrderElementsOf(result.artifacts().stream().map(ProducedArtifact::contentHash).toList());
    }

    @Test
    void publishArtifactFromACsvFile() throws Exception {
        Path file = TestFiles.writeCsv(shared.imports().resolve("publish/bonk.csv"), TestFiles.CANDLE_HEADER,
                TestFiles.candleRows(TestFiles.BONK, "solana", "1m", 30, 60_000));
        ProducedArtifact artifact = value(shared.engine.publishArtifact(
                new PublishArtifactCommand("ohlcv_slice", 0, "manual/bonk/1m", file, ""), BatchCallOptions.none()));
        assertThat(artifact.type()).isEqualTo("ohlcv_slice");
        assertThat(artifact.logicalKey()).isEqualTo("manual/bonk/1m");
        assertThat(artifact.rowCount()).isEqualTo(30);
        assertThat(artifact.tags()).containsEntry("token", TestFiles.BONK);
        assertThat(artifact.stagingPath().orElseThrow()).isRegularFile();
    }

    @Test
    void analyzeSweepBuildsTheLeaderboards() throws Exception {
        Path results = TestFiles.runResults(shared.database.lakeDir().resolve("run_results/v1/s1.parquet"), "s1");
        AnalyzeSweepResult analysis = value(shared.engine.analyzeSweep(
                new AnalyzeSweepCommand("s1", List.of(results), 3), BatchCallOptions.none()));
        assertThat(analysis.rows()).isEqualTo(96);
        assertThat(analysis.runs()).isEqualTo(8);
        assertThat(analysis.leaderboards()).extracting(Leaderboard::name)
                .containsExactly("by_overlay", "by_lag_interval", "by_caller", "by_scenario", "overall");
        Leaderboard byOverlay = analysis.leaderboards().get(0);
        assertThat(byOverlay.dimensions()).containsExactly("overlay_set");
        assertThat(byOverlay.rows()).hasSize(2);
        assertThat(byOverlay.rows().get(0).keys()).containsExactly("tp_sl");
        assertThat(byOverlay.rows().get(0).mean()).isGreaterThan(byOverlay.rows().get(1).mean());
        // 12 calls x 4 scenarios per overlay, every 7th call skipped (1 of 12).
        assertThat(byOverlay.rows().get(0).count()).isEqualTo(44);
        assertThat(byOverlay.rows().get(0).skipped()).isEqualTo(4);
        assertThat(byOverlay.rows().get(0).skipReasons()).isEqualTo(Map.of("no_candles", 4L));
        Leaderboard overall = analysis.leaderboards().get(4);
        assertThat(overall.dimensions()).isEmpty();
        assertThat(overall.rows()).singleElement().satisfies(row -> {
            assertThat(row.keys()).isEmpty();
            assertThat(row.count() + row.skipped()).isEqualTo(96);
            assertThat(row.skipReasons()).isEqualTo(Map.of("no_candles", 8L));
        });
        assertThat(analysis.leaderboards().get(3).rows()).hasSize(3);
    }

    @Test
    void generateFeaturesFromAnOhlcvFile() throws Exception {
        Path candles = TestFiles.candlesParquet(shared.database.lakeDir().resolve("ohlcv_slice/v1/features-input.parquet"), 40);
        ProducedArtifact features = value(shared.engine.generateFeatures(
                new GenerateFeaturesCommand(Map.of("art-1", candles), List.of(5, 10), "features/sol/1m"), BatchCallOptions.none()));
        assertThat(features.type()).isEqualTo("features");
        assertThat(features.rowCount()).isEqualTo(40);
        assertThat(features.columns()).extracting(ColumnInfo::name)
                .contains("ret_1", "ret_5", "vol_5", "atr_10", "volume_z_10", "drawdown");
        assertThat(JSON.readTree(features.paramsJson()).get("input_artifact_ids").get(0).asText()).isEqualTo("art-1");
        assertThat(features.stagingPath().orElseThrow()).isRegularFile();
    }

    @Test
    void generateReportWritesSelfContainedHtml() throws Exception {
        Path results = TestFiles.runResults(shared.database.lakeDir().resolve("run_results/v1/s2.parquet"), "s2");
        ProducedArtifact report = value(shared.engine.generateReport(new GenerateReportCommand("s2", "Sweep s2 <report>",
                        List.of(results),
                        List.of(new RunSummary("run-x", "tp_sl-0-1m", "failed", "{}", Map.of(), "no candles for the call")),
                        Map.of("daemon", "test"), "intervals: [1m]\n", Map.of("simulate_ms", "1500")),
                BatchCallOptions.withTimeout(Duration.ofSeconds(60))));
        assertThat(report.type()).isEqualTo("report");
        assertThat(report.extension()).isEqualTo("html");
        String html = Files.readString(report.stagingPath().orElseThrow(), StandardCharsets.UTF_8);
        // plotly.js is inlined and carries URLs in strings; the page's own markup must load nothing
        String markup = html.replaceAll("(?s)<script>.*?</script>", "<script></script>");
        assertThat(html).contains("Sweep s2 &lt;report&gt;").contains("no candles for the call").contains("intervals: [1m]")
                .contains("1.5 s").contains("Plotly.newPlot");
        assertThat(markup).doesNotContain("src=\"http").doesNotContain("href=\"http");
    }

    // ------------------------------------------------------------------ malformed and hostile inputs

    @Test
    void aBadCsvRowIsNamedByFileRowAndColumnAndNothingIsWritten() throws Exception {
        Path folder = TestFiles.snapshot(shared.imports().resolve("snap-bad"));
        List<String> rows = new java.util.ArrayList<>(TestFiles.candleRows(TestFiles.BONK, "solana", "1m", 4, 60_000));
        String[] cells = rows.get(1).split(",");
        cells[5] = "0.5"; // high below open and close, data row 2
        rows.set(1, String.join(",", cells));
        TestFiles.writeCsv(folder.resolve("bad.csv"), TestFiles.CANDLE_HEADER, rows);
        List<Path> before = stagedFiles();

        StorageException error = failure(shared.engine.importSnapshot(
                new ImportSnapshotCommand(folder, "bad", false), BatchCallOptions.none()));
        assertThat(error.code()).isEqualTo(ErrorCode.INVALID_INPUT_DATA);
        assertThat(error.getMessage()).contains("bad.csv").contains("row 2").contains("high").doesNotContain("Traceback");
        assertThat(error.violations()).anySatisfy(violation -> {
            assertThat(violation.field()).isEqualTo("bad.csv:2:high");
            assertThat(violation.description()).contains("is below max(open, close)");
        });
        assertThat(stagedFiles()).isEqualTo(before);
    }

    @Test
    void pathsOutsideTheImportRootsAreRefusedBeforeAnyWorkerSeesThem() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        TestFiles.snapshot(outside);
        Files.createDirectories(shared.imports());
        Path link = shared.imports().resolve("escape-" + System.nanoTime());
        Files.createSymbolicLink(link, outside);
        Path nestedLink = Files.createDirectories(shared.imports().resolve("nested-" + System.nanoTime()));
        Files.createSymbolicLink(nestedLink.resolve("calls.csv"), outside.resolve("calls.csv"));

        assertRefused(outside, ErrorCode.PATH_NOT_ALLOWED, "is outside the import roots");
        assertRefused(Path.of("/etc"), ErrorCode.PATH_NOT_ALLOWED, "is outside the import roots");
        assertRefused(shared.imports().resolve("../../outside"), ErrorCode.PATH_NOT_ALLOWED, "must not contain '..'");
        assertRefused(Path.of("..", "outside"), ErrorCode.PATH_NOT_ALLOWED, "must not contain '..'");
        assertRefused(link, ErrorCode.PATH_NOT_ALLOWED, "leads through a symbolic link to a place outside the import roots");
        assertRefused(shared.imports().resolve("no-such-folder"), ErrorCode.INVALID_ARGUMENT, "does not exist");
        // A file inside the folder that links out: the worker refuses it while walking the folder.
        StorageException nested = failure(shared.engine.importSnapshot(
                new ImportSnapshotCommand(nestedLink, "nested", false), BatchCallOptions.none()));
        assertThat(nested.code()).isEqualTo(ErrorCode.PATH_NOT_ALLOWED);
        assertThat(nested.getMessage()).contains("calls.csv").contains("outside the import roots");
        StorageException publish = failure(shared.engine.publishArtifact(
                new PublishArtifactCommand("ohlcv_slice", 0, "x", link.resolve("calls.csv"), ""), BatchCallOptions.none()));
        assertThat(publish.code()).isEqualTo(ErrorCode.PATH_NOT_ALLOWED);
    }

    private static void assertRefused(Path source, ErrorCode code, String message) throws Exception {
        StorageException error = failure(shared.engine.importSnapshot(new ImportSnapshotCommand(source, "x", false), BatchCallOptions.none()));
        assertThat(error.code()).as("code for %s", source).isEqualTo(code);
        assertThat(error.getMessage()).as("message for %s", source).contains(message);
        assertThat(error.violations()).extracting(v -> v.field()).containsExactly("source_dir");
    }

    static Stream<Arguments> hostileSql() {
        return Stream.of(
                Arguments.of("SELECT * FROM read_csv('/etc/passwd')", ErrorCode.PATH_NOT_ALLOWED, "query refused"),
                Arguments.of("COPY (SELECT 1) TO '<lake>/x.parquet'", ErrorCode.INVALID_SQL, "only SELECT statements are allowed, got COPY"),
                Arguments.of("ATTACH '<lake>/other.duckdb' AS other", ErrorCode.INVALID_SQL, "only SELECT statements are allowed, got ATTACH"),
                Arguments.of("INSTALL httpfs", ErrorCode.INVALID_SQL, "only SELECT statements are allowed"),
                Arguments.of("LOAD httpfs", ErrorCode.INVALID_SQL, "only SELECT statements are allowed"),
                Arguments.of("SET threads=8", ErrorCode.INVALID_SQL, "only SELECT statements are allowed, got SET"),
                Arguments.of("SELECT 1; SELECT 2", ErrorCode.INVALID_SQL, "expected exactly one SELECT statement"),
                Arguments.of("SELEC 1", ErrorCode.INVALID_SQL, "does not parse"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileSql")
    void hostileSqlIsRejectedWithAClearError(String sql, ErrorCode code, String message) throws Exception {
        Path lake = shared.database.lakeDir();
        Path candles = TestFiles.candlesParquet(lake.resolve("ohlcv_slice/v1/hostile-" + Math.abs(sql.hashCode()) + ".parquet"), 5);
        long spawns = shared.pool.spawnCount();
        StorageException error = failure(shared.engine.query(new QueryCommand(sql.replace("<lake>", lake.toString()),
                Map.of("candles", List.of(candles)), QueryFormat.JSON, 0), BatchCallOptions.none()));
        assertThat(error.code()).isEqualTo(code);
        assertThat(error.getMessage()).contains(message).doesNotContain("Traceback");
        assertThat(lake.resolve("x.parquet")).doesNotExist();
        assertThat(lake.resolve("other.duckdb")).doesNotExist();
        // The worker refused; it did not die.
        QueryResult after = value(shared.engine.query(new QueryCommand("SELECT count(*) AS n FROM candles",
                Map.of("candles", List.of(candles)), QueryFormat.JSON, 0), BatchCallOptions.none()));
        assertThat(after.jsonRows()).contains("[{\"n\":5}]");
        assertThat(shared.pool.spawnCount()).isEqualTo(spawns);
    }

    // ------------------------------------------------------------------ failures, each with its own pool

    @Test
    void aWorkerKilledMidCallFailsThatCallAndIsReplaced() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir).awaitWarm()) {
            long pid = fixture.onlyPid();
            CompletableFuture<Result> sleeping = fixture.pool.submit(sleep(30_000), BatchCallOptions.none());
            // Once the worker acknowledged the request it may have run it: its death fails the call.
            Await.until("the worker to accept the request", Duration.ofSeconds(10), () -> fixture.pool.acceptedCalls() == 1);
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();

            StorageException error = failure(sleeping);
            assertThat(error.code()).isEqualTo(ErrorCode.WORKER_UNAVAILABLE);
            assertThat(error.getMessage())
                    .startsWith("python worker " + pid + " exited with code 137 (killed by signal 9) during sleep");
            Await.until("a replacement worker", Duration.ofSeconds(30), () -> fixture.pool.workersReady() == 1);
            assertThat(fixture.onlyPid()).isNotEqualTo(pid);
            assertThat(fixture.pool.spawnCount()).isEqualTo(2);
            assertThat(fixture.counter("quantbot.python_worker.spawns", "reason", "replace")).isEqualTo(1);
            assertThat(fixture.counter("quantbot.python_worker.replacements", "cause", "crashed")).isEqualTo(1);
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).getSleep().getSleptMs()).isGreaterThanOrEqualTo(0);
            assertThat(fixture.readiness.reasons()).doesNotContainKey(ProcessWorkerPool.READINESS_CONDITION);
        }
    }

    @Test
    void aCallPastItsDeadlineFailsAndTheWorkerThatHonouredTheCancelIsReused() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir).awaitWarm()) {
            long pid = fixture.onlyPid();
            // An hour's sleep: the failure (awaited with a 30 s cap) can only come from the deadline.
            StorageException error = failure(fixture.pool.submit(sleep(3_600_000), BatchCallOptions.withTimeout(Duration.ofMillis(400))));
            assertThat(error.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            // Either side may notice first: the worker's own deadline check or the pool's timer (on a loaded machine the
            // pool's fires before the worker's answer arrives). Both are the same DEADLINE_EXCEEDED.
            assertThat(error.getMessage()).containsAnyOf("the sleep call exceeded its deadline", "exceeded its timeout of");
            Await.until("the worker to finish the cancelled request", Duration.ofSeconds(5), () -> fixture.pool.workersBusy() == 0);
            assertThat(fixture.onlyPid()).isEqualTo(pid);
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
            assertThat(fixture.pool.spawnCount()).isEqualTo(1);
            assertThat(fixture.onlyPid()).isEqualTo(pid);
        }
    }

    @Test
    void aWorkerThatIgnoresTheCancelIsKilledAndReplacedAfterTheGrace() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.cancel-grace", "500ms").awaitWarm()) {
            long pid = fixture.onlyPid();
            CompletableFuture<Result> call = fixture.pool.submit(sleep(20_000), BatchCallOptions.withTimeout(Duration.ofMillis(1500)));
            Await.until("the worker to accept the request", Duration.ofSeconds(10), () -> fixture.pool.acceptedCalls() == 1);
            signal(pid, "STOP");

            StorageException error = failure(call);
            assertThat(error.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            Await.until("the stuck worker to be replaced", Duration.ofSeconds(30),
                    () -> fixture.pool.spawnCount() == 2 && fixture.pool.workersReady() == 1);
            Await.until("the stuck worker to be gone", Duration.ofSeconds(10), () -> !alive(pid));
            assertThat(fixture.counter("quantbot.python_worker.replacements", "cause", "cancel_timeout")).isEqualTo(1);
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
        }
    }

    @Test
    void aClientCancelFailsTheCallCancelledAndFreesTheWorker() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir).awaitWarm()) {
            CancellationSignal cancellation = new CancellationSignal();
            CompletableFuture<Result> call = fixture.pool.submit(sleep(20_000), BatchCallOptions.none().cancelledBy(cancellation));
            Await.until("the worker to be busy", Duration.ofSeconds(10), () -> fixture.pool.workersBusy() == 1);
            cancellation.cancel();
            StorageException error = failure(call);
            assertThat(error.code()).isEqualTo(ErrorCode.CANCELLED);
            assertThat(error.getMessage()).contains("the sleep call was cancelled by the client");
            Await.until("the worker to stop the request", Duration.ofSeconds(5), () -> fixture.pool.workersBusy() == 0);

            // Cancelling the future is a client cancel too.
            CompletableFuture<Result> second = fixture.pool.submit(sleep(20_000), BatchCallOptions.none());
            Await.until("the worker to be busy", Duration.ofSeconds(10), () -> fixture.pool.workersBusy() == 1);
            second.cancel(true);
            Await.until("the worker to stop the request", Duration.ofSeconds(5), () -> fixture.pool.workersBusy() == 0);
            assertThat(fixture.pool.spawnCount()).isEqualTo(1);
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
        }
    }

    @Test
    void aFullQueueFailsFastWithARetryHint() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.queue-capacity", "1").awaitWarm()) {
            CompletableFuture<Result> running = fixture.pool.submit(sleep(3_600_000), BatchCallOptions.none());
            CompletableFuture<Result> queued = fixture.pool.submit(sleep(20_000), BatchCallOptions.none());
            assertThat(fixture.gauge("quantbot.python_worker.queue_depth")).isEqualTo(1);
            StorageException error = failure(fixture.pool.submit(sleep(1), BatchCallOptions.none()));
            assertThat(error.code()).isEqualTo(ErrorCode.QUEUE_FULL);
            assertThat(error.retryAfter()).hasValueSatisfying(delay -> assertThat(delay).isPositive());
            assertThat(error.getMessage()).contains("python workers are busy").contains("retry");
            queued.cancel(true);
            assertThat(fixture.gauge("quantbot.python_worker.queue_depth")).isZero();
            running.cancel(true);
            Await.until("the worker to be free", Duration.ofSeconds(5), () -> fixture.pool.workersBusy() == 0);
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
        }
    }

    @Test
    void aWorkerIsRecycledAfterMaxRequests() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.max-requests", "2").awaitWarm()) {
            long first = fixture.onlyPid();
            value(fixture.pool.submit(sleep(1), BatchCallOptions.none()));
            value(fixture.pool.submit(sleep(1), BatchCallOptions.none()));
            // The third waits in the queue for the fresh worker.
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
            assertThat(fixture.pool.spawnCount()).isEqualTo(2);
            assertThat(fixture.counter("quantbot.python_worker.spawns", "reason", "recycle")).isEqualTo(1);
            assertThat(fixture.counter("quantbot.python_worker.recycles", "cause", "max_requests")).isEqualTo(1);
            Await.until("the recycled worker to exit", Duration.ofSeconds(10), () -> !alive(first));
            assertThat(fixture.onlyPid()).isNotEqualTo(first);
        }
    }

    @Test
    void aWorkerOverMaxRssIsRecycled() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.max-rss", "1MiB", "python-worker.ping-interval", "300ms")
                .awaitWarm()) {
            Await.until("a recycle on memory", Duration.ofSeconds(20),
                    () -> fixture.counter("quantbot.python_worker.recycles", "cause", "max_rss") >= 1);
            Await.until("the replacement", Duration.ofSeconds(20),
                    () -> fixture.counter("quantbot.python_worker.spawns", "reason", "recycle") >= 1);
        }
    }

    @Test
    void aStoppedIdleWorkerIsReplacedAtTheNextPing() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.ping-interval", "300ms").awaitWarm()) {
            long pid = fixture.onlyPid();
            signal(pid, "STOP");
            Await.until("the silent worker to be replaced", Duration.ofSeconds(30),
                    () -> fixture.pool.spawnCount() == 2 && fixture.pool.workersReady() == 1);
            Await.until("the silent worker to be gone", Duration.ofSeconds(10), () -> !alive(pid));
            // Stopped, it cannot answer: replaced at the first ping instead of after a second unanswered one.
            assertThat(fixture.counter("quantbot.python_worker.replacements", "cause", "stopped")).isEqualTo(1);
            assertThat(fixture.counter("quantbot.python_worker.replacements", "cause", "unresponsive")).isZero();
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
        }
    }

    @Test
    void aStoppedIdleWorkerIsNotHandedTheNextCall() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.pool-size", "2").awaitWarm()) {
            // The pool hands calls to idle workers in spawn order: the first pid is the one it would choose.
            long stopped = fixture.pool.workerPids().get(0);
            signal(stopped, "STOP");
            try {
                // Today's pool gave this call to the stopped worker and it waited out its deadline.
                for (int i = 0; i < 3; i++) {
                    assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.withTimeout(Duration.ofSeconds(20)))).hasSleep())
                            .isTrue();
                }
                assertThat(fixture.counter("quantbot.python_worker.replacements", "cause", "stopped")).isEqualTo(1);
                Await.until("the stopped worker to be killed", Duration.ofSeconds(10), () -> !alive(stopped));
                Await.until("its replacement", Duration.ofSeconds(30),
                        () -> fixture.pool.workersReady() == 2 && !fixture.pool.workerPids().contains(stopped));
                assertThat(fixture.counter("quantbot.python_worker.spawns", "reason", "replace")).isEqualTo(1);
            } finally {
                if (alive(stopped)) {
                    ProcessHandle.of(stopped).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
    }

    @Test
    void anIdleWorkerKilledAMomentBeforeACallDoesNotFailIt() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.pool-size", "2").awaitWarm()) {
            for (int round = 1; round <= 3; round++) {
                long victim = fixture.pool.workerPids().get(0);
                ProcessHandle.of(victim).orElseThrow().destroyForcibly();
                // Submitted before the pool can have seen the exit: today's pool handed it to the dead worker
                // and failed it with WORKER_UNAVAILABLE.
                CompletableFuture<Result> call = fixture.pool.submit(sleep(1), BatchCallOptions.withTimeout(Duration.ofSeconds(20)));
                assertThat(value(call).hasSleep()).as("round %d", round).isTrue();
                Await.until("the killed worker's replacement", Duration.ofSeconds(30),
                        () -> fixture.pool.workersReady() == 2 && !fixture.pool.workerPids().contains(victim));
            }
            assertThat(fixture.counter("quantbot.python_worker.spawns", "reason", "replace")).isEqualTo(3);
        }
    }

    @Test
    void aWorkerThatCannotStartKeepsReadinessDownAndTheGuardStopsTheLoop() throws Exception {
        Path broken = dir.resolve("broken-python");
        Files.writeString(broken, "#!/bin/sh\necho 'cannot start: the venv is broken' >&2\nexit 3\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwxr-xr-x"));
        FakePoolClock clock = new FakePoolClock();
        try (PoolFixture fixture = PoolFixture.start(clock, dir.resolve("data"),
                "python-worker.python", broken.toString(), "python-worker.spawn-storm-limit", "3")) {
            clock.runDue();
            // Each failed start schedules the next spawn after its backoff (100, 200, 400 ms): time moves to it.
            for (int failures = 1; failures <= 3; failures++) {
                int expected = failures;
                Duration backoff = Duration.ofMillis(100L << (failures - 1));
                Await.until("start failure " + expected + " and its respawn in " + backoff, Duration.ofSeconds(20),
                        () -> fixture.counter("quantbot.python_worker.replacements", "cause", "start_failed") == expected
                                && clock.pending().contains(backoff));
                assertThat(clock.runNext()).isEqualTo(backoff);
            }
            assertThat(fixture.pool.inStorm()).isTrue();
            String reason = fixture.readiness.reasons().get(ProcessWorkerPool.READINESS_CONDITION);
            assertThat(reason)
                    .contains("spawn storm: 3 python worker spawns in the last minute reached python-worker.spawn-storm-limit=3")
                    .contains("exited with code 3 before it was ready")
                    .contains("cannot start: the venv is broken");
            assertThat(fixture.readiness.isReady()).isFalse();
            assertThat(fixture.pool.spawnCount()).isEqualTo(3);
            assertThat(fixture.gauge("quantbot.python_worker.spawn_storm")).isEqualTo(1);
            assertThat(fixture.counter("quantbot.python_worker.spawn_storms")).isEqualTo(1);

            StorageException error = failure(fixture.pool.submit(sleep(1), BatchCallOptions.none()));
            assertThat(error.code()).isEqualTo(ErrorCode.WORKER_UNAVAILABLE);
            assertThat(error.getMessage()).contains("no python worker is running").contains("exited with code 3");
            assertThat(error.retryAfter()).isPresent();

            // No tight loop: nothing more is spawned until the first spawn has left the minute (at 60.01 s).
            clock.advance(Duration.ofSeconds(59));
            assertThat(fixture.pool.spawnCount()).isEqualTo(3);
            assertThat(fixture.pool.inStorm()).isTrue();
            clock.advance(Duration.ofSeconds(1));
            assertThat(fixture.pool.spawnCount()).isEqualTo(4);
        }
    }

    @Test
    void gracefulStopLeavesNoProcessBehind() throws Exception {
        PoolFixture fixture = PoolFixture.start(dir, "python-worker.pool-size", "2");
        assertThat(fixture.readiness.reasons().get(ProcessWorkerPool.READINESS_CONDITION)).startsWith("starting: ");
        fixture.awaitWarm();
        CompletableFuture<Result> running = fixture.pool.submit(sleep(3_600_000), BatchCallOptions.none());
        Await.until("a busy worker", Duration.ofSeconds(10), () -> fixture.pool.workersBusy() == 1);
        List<Long> pids = fixture.pool.workerPids();
        assertThat(pids).hasSize(2);

        // The running call sleeps for an hour: a stop that waited for it would fail the capped wait.
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), fixture::close);
        assertThat(pids).allSatisfy(pid -> assertThat(alive(pid)).as("worker %d alive", pid).isFalse());
        assertThat(failure(running).code()).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThat(failure(fixture.pool.submit(sleep(1), BatchCallOptions.none())).code()).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThat(fixture.pool.workerPids()).isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private static Request sleep(long millis) {
        return Request.newBuilder().setSleep(SleepOp.newBuilder().setMillis(millis)).build();
    }

    private static List<Path> stagedFiles() throws Exception {
        try (Stream<Path> files = Files.walk(shared.database.stagingDir())) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static Stream<Path> listQuietly(Path folder) {
        try {
            return Files.list(folder);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
