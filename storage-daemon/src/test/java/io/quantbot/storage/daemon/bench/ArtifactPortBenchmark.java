package io.quantbot.storage.daemon.bench;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RowColumn;
import io.quantbot.storage.daemon.storage.duckdb.ColumnarRunRows;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.storage.v1.RowChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * ArtifactPort hot path, measured in one run on one machine:
 * AppendRunRows rows/s over loopback gRPC (1 and 8 concurrent streams, 2,000-row chunks) against the
 * in-process DuckDB Appender writing the same rows (one commit per chunk, like the daemon) and against the fastest
 * in-process way found, a columnar bulk insert of the same rows (one INSERT ... SELECT per chunk, one commit per chunk); and
 * GetCandles latency for a cached 1,440-candle series and for cold ones.
 *
 * <p>Run: {@code mvn -q -B install -DskipTests && mvn -q -B -pl storage-daemon exec:exec@artifact-bench}
 */
public final class ArtifactPortBenchmark {
    private static final int CHUNK_ROWS = 2_000;
    private static final int TOTAL_ROWS = Integer.getInteger("bench.rows", 1_000_000);
    private static final long T0 = 1_767_225_600_000L;

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("artifact-bench-");
        System.out.printf(Locale.ROOT, "ArtifactPort benchmark (%d cores, %s): %,d rows per phase in %,d-row chunks%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), TOTAL_ROWS, CHUNK_ROWS);
        List<RowChunk> chunks = new ArrayList<>();
        for (int first = 0; first < TOTAL_ROWS; first += CHUNK_ROWS) {
            chunks.add(RowChunks.chunk(first, CHUNK_ROWS));
        }
        // Each baseline once unmeasured first (JIT), then measured; the columnar one is the fastest in-process way found.
        appenderBaseline(dir.resolve("warm-appender.duckdb"), chunks.subList(0, Math.min(100, chunks.size())));
        columnarBaseline(dir.resolve("warm-columnar.duckdb"), chunks.subList(0, Math.min(100, chunks.size())));
        double baseline = appenderBaseline(dir.resolve("baseline.duckdb"), chunks);
        System.out.printf(Locale.ROOT, "%-44s %,12.0f rows/s%n", "in-process DuckDB Appender (baseline)", baseline);
        double bulk = columnarBaseline(dir.resolve("bulk.duckdb"), chunks);
        System.out.printf(Locale.ROOT, "%-44s %,12.0f rows/s%n", "in-process columnar bulk insert (baseline)", bulk);
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir.resolve("daemon")).set("log.access", "off").build()) {
            ManagedChannel channel = daemon.loopbackChannel();
            streams(daemon, channel, chunks.subList(0, Math.min(50, chunks.size())), 1);
            double one = streams(daemon, channel, chunks, 1);
            System.out.printf(Locale.ROOT, "%-44s %,12.0f rows/s  (%.0f%% of baseline; target >= 80%%)%n", "AppendRunRows, 1 stream", one, 100 * one / baseline);
            double eight = streams(daemon, channel, chunks, 8);
            System.out.printf(Locale.ROOT, "%-44s %,12.0f rows/s  (%.0f%% of baseline; target >= 80%%)%n", "AppendRunRows, 8 streams", eight, 100 * eight / baseline);
            System.out.printf(Locale.ROOT, "%-44s %,12.0f rows/s  (%.0f%% of bulk baseline)%n", "AppendRunRows, 1 stream vs columnar bulk", one, 100 * one / bulk);
            System.out.printf(Locale.ROOT, "%-44s %,12.0f rows/s  (%.0f%% of bulk baseline; target >= 50%%)%n", "AppendRunRows, 8 streams vs columnar bulk", eight,
                    100 * eight / bulk);
            candles(daemon, channel);
        }
    }

    /** The same rows through the Appender of one connection, in one process, no RPC. */
    private static double appenderBaseline(Path file, List<RowChunk> chunks) throws Exception {
        try (DuckDBConnection connection = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement statement = connection.createStatement()) {
                // The daemon's own schema: the same rows land in the same run_rows table shape (absent columns NULL).
                io.quantbot.storage.daemon.storage.duckdb.SchemaMigrator.migrate(connection);
            }
            long start = System.nanoTime();
            try (DuckDBAppender appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "run_rows");
                    Statement statement = connection.createStatement()) {
                long seq = 0;
                for (RowChunk chunk : chunks) {
                    seq++;
                    statement.execute("BEGIN TRANSACTION");
                    List<Column> c = chunk.getColumnsList();
                    for (int row = 0; row < chunk.getRowCount(); row++) {
                        // run_id, chunk_seq, sweep_id, scenario_id, interval, lag_ms, overlay_set, call_id, caller, token, chain, call_ts,
                        // entry_ts, entry_px, exit_ts, exit_px, exit_reason, gross_return, net_return, fees, slippage, candles_used,
                        // tradeable, skip_reason
                        appender.beginRow();
                        appender.append("run_01ARZ3NDEKTSV4RRFFQ69G5FAV");
                        appender.append(seq);
                        appender.append("bench");
                        appender.append("s0");
                        appender.append(c.get(2).getDictionaryStrings().getDictionary(0));
                        appender.append(c.get(4).getInt64S().getValues(row));
                        appender.appendNull();
                        appender.append(c.get(0).getStrings().getValues(row));
                        appender.append(c.get(1).getDictionaryStrings().getDictionary(c.get(1).getDictionaryStrings().getIndices(row)));
                        appender.appendNull();
                        appender.appendNull();
                        appender.append(c.get(3).getInt64S().getValues(row));
                        appender.appendNull();
                        appender.appendNull();
                        appender.appendNull();
                        appender.appendNull();
                        appender.appendNull();
                        appender.append(c.get(5).getDoubles().getValues(row));
                        appender.append(c.get(6).getDoubles().getValues(row));
                        appender.appendNull();
                        appender.appendNull();
                        appender.appendNull();
                        appender.append(c.get(7).getBools().getValues(row));
                        if (c.get(7).getBools().getValues(row)) {
                            appender.appendNull();
                        } else {
                            appender.append(c.get(8).getStrings().getValues(row));
                        }
                        appender.endRow();
                    }
                    appender.flush();
                    statement.execute("COMMIT");
                }
            }
            return chunks.size() * (double) CHUNK_ROWS / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * The fastest in-process way found to persist the same rows (docs/benchmarks.md lists what else was tried): each
     * chunk's protobuf columns decoded into arrays and inserted column by column with one INSERT ... SELECT from a
     * Java table function over them ({@link ColumnarRunRows}), one transaction per chunk like the daemon.
     */
    private static double columnarBaseline(Path file, List<RowChunk> chunks) throws Exception {
        try (DuckDBConnection connection = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file);
                ColumnarRunRows columnar = new ColumnarRunRows()) {
            io.quantbot.storage.daemon.storage.duckdb.SchemaMigrator.migrate(connection);
            long start = System.nanoTime();
            try (Statement statement = connection.createStatement()) {
                long seq = 0;
                for (RowChunk chunk : chunks) {
                    statement.execute("BEGIN TRANSACTION");
                    columnar.insert(connection, "run_01ARZ3NDEKTSV4RRFFQ69G5FAV", ++seq, "bench", "s0", decode(chunk));
                    statement.execute("COMMIT");
                }
            }
            return chunks.size() * (double) CHUNK_ROWS / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** Protobuf packed columns to arrays (what the daemon's gRPC adapter does with a chunk). */
    private static RowBatch decode(RowChunk chunk) {
        int rows = (int) chunk.getRowCount();
        List<RowColumn> columns = new ArrayList<>();
        for (Column column : chunk.getColumnsList()) {
            BitSet nulls = column.getNullBitmap().isEmpty() ? new BitSet() : BitSet.valueOf(column.getNullBitmap().toByteArray());
            switch (column.getValuesCase()) {
                case INT64S -> {
                    long[] values = new long[rows];
                    for (int i = 0; i < rows; i++) {
                        values[i] = column.getInt64S().getValues(i);
                    }
                    columns.add(new RowColumn.Longs(column.getName(), values, nulls));
                }
                case DOUBLES -> {
                    double[] values = new double[rows];
                    for (int i = 0; i < rows; i++) {
                        values[i] = column.getDoubles().getValues(i);
                    }
                    columns.add(new RowColumn.Doubles(column.getName(), values, nulls));
                }
                case BOOLS -> {
                    boolean[] values = new boolean[rows];
                    for (int i = 0; i < rows; i++) {
                        values[i] = column.getBools().getValues(i);
                    }
                    columns.add(new RowColumn.Booleans(column.getName(), values, nulls));
                }
                case STRINGS -> {
                    String[] values = column.getStrings().getValuesList().toArray(String[]::new);
                    for (int i = nulls.nextSetBit(0); i >= 0 && i < rows; i = nulls.nextSetBit(i + 1)) {
                        values[i] = null;
                    }
                    columns.add(new RowColumn.Strings(column.getName(), values));
                }
                case DICTIONARY_STRINGS -> {
                    String[] values = new String[rows];
                    for (int i = 0; i < rows; i++) {
                        values[i] = nulls.get(i) ? null : column.getDictionaryStrings().getDictionary(column.getDictionaryStrings().getIndices(i));
                    }
                    columns.add(new RowColumn.Strings(column.getName(), values));
                }
                default -> throw new IllegalStateException("column " + column.getName() + " has no values");
            }
        }
        return RowBatch.of(rows, columns);
    }

    /** Splits the chunks over `streams` runs streamed concurrently; returns rows/s from the first send to the last answer. */
    private static double streams(TestingStorageDaemon daemon, ManagedChannel channel, List<RowChunk> chunks, int streams) throws Exception {
        var blocking = ArtifactPortGrpc.newBlockingStub(channel);
        List<String> runs = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            runs.add(blocking.createRun(CreateRunRequest.newBuilder().setSweepId("bench").setScenarioId("s" + s).build()).getRun().getRunId());
        }
        long start = System.nanoTime();
        List<CompletableFuture<AppendRunRowsResponse>> done = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            CompletableFuture<AppendRunRowsResponse> result = new CompletableFuture<>();
            done.add(result);
            String runId = runs.get(s);
            int stream = s;
            Thread sender = new Thread(() -> {
                io.grpc.stub.ClientCallStreamObserver<AppendRunRowsRequest>[] call = new io.grpc.stub.ClientCallStreamObserver[1];
                Object ready = new Object();
                ArtifactPortGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES).appendRunRows(
                        new io.grpc.stub.ClientResponseObserver<AppendRunRowsRequest, AppendRunRowsResponse>() {
                            @Override
                            public void beforeStart(io.grpc.stub.ClientCallStreamObserver<AppendRunRowsRequest> requestStream) {
                                call[0] = requestStream;
                                requestStream.setOnReadyHandler(() -> {
                                    synchronized (ready) {
                                        ready.notifyAll();
                                    }
                                });
                            }

                            @Override
                            public void onNext(AppendRunRowsResponse value) {
                                result.complete(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                                result.completeExceptionally(t);
                            }

                            @Override
                            public void onCompleted() {}
                        });
                long seq = 0;
                for (int i = stream; i < chunks.size(); i += streams) {
                    synchronized (ready) {
                        while (!call[0].isReady()) {
                            try {
                                ready.wait(10);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                    call[0].onNext(AppendRunRowsRequest.newBuilder().setRunId(runId).setChunkSeq(++seq).setRows(chunks.get(i)).build());
                }
                call[0].onCompleted();
            });
            senders.add(sender);
            sender.start();
        }
        long rows = 0;
        for (CompletableFuture<AppendRunRowsResponse> result : done) {
            rows += result.get(10, TimeUnit.MINUTES).getRowsCommitted();
        }
        return rows / ((System.nanoTime() - start) / 1e9);
    }

    private static void candles(TestingStorageDaemon daemon, ManagedChannel channel) throws Exception {
        int series = 200;
        for (int i = 0; i < series; i++) {
            LakeFixtures.publishCandles(daemon, "bench", token(i), "solana", "1m", LakeFixtures.minuteCandles(T0, 1_440));
        }
        var stub = ArtifactPortGrpc.newBlockingStub(channel);
        LatencyRecorder cold = new LatencyRecorder();
        long coldStart = System.nanoTime();
        for (int i = 1; i < series; i++) {
            long t0 = System.nanoTime();
            stub.getCandles(request(token(i)));
            cold.record(System.nanoTime() - t0);
        }
        LatencyRecorder.Summary coldSummary = LatencyRecorder.summarize(List.of(cold), System.nanoTime() - coldStart);
        for (int i = 0; i < 1_000; i++) {
            stub.getCandles(request(token(0)));
        }
        LatencyRecorder cached = new LatencyRecorder();
        long cachedStart = System.nanoTime();
        for (int i = 0; i < 20_000; i++) {
            long t0 = System.nanoTime();
            stub.getCandles(request(token(0)));
            cached.record(System.nanoTime() - t0);
        }
        LatencyRecorder.Summary cachedSummary = LatencyRecorder.summarize(List.of(cached), System.nanoTime() - cachedStart);
        System.out.printf(Locale.ROOT, "%-44s p50=%.3f ms  p99=%.3f ms  (target p50 < 1 ms)%n", "GetCandles 1,440 x 1m, cached",
                cachedSummary.p50Millis(), cachedSummary.p99Millis());
        System.out.printf(Locale.ROOT, "%-44s p50=%.3f ms  p99=%.3f ms%n", "GetCandles 1,440 x 1m, cold (Parquet read)",
                coldSummary.p50Millis(), coldSummary.p99Millis());
    }

    private static GetCandlesRequest request(String token) {
        return GetCandlesRequest.newBuilder().setToken(token).setChain("solana").setInterval("1m").setFromMs(T0).setToMs(T0 + 86_400_000).build();
    }

    private static String token(int i) {
        return String.format("Bench%04d1111111111111111111111111111111", i);
    }
}
