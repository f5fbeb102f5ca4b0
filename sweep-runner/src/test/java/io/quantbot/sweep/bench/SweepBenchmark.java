package io.quantbot.sweep.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RowColumn;
import io.quantbot.storage.daemon.storage.duckdb.ColumnarRunRows;
import io.quantbot.storage.daemon.storage.duckdb.SchemaMigrator;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.sweep.local.LocalSweep;
import io.quantbot.sweep.local.LocalSweepResult;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.Phase;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.remote.RemoteSweep;
import io.quantbot.sweep.remote.RemoteSweepResult;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.remote.SweepListener;
import io.quantbot.sweep.results.ResultBatch;
import io.quantbot.sweep.results.ResultColumn;
import io.quantbot.sweep.results.RunResultColumns;
import io.quantbot.sweep.results.ScenarioResults;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.snapshot.Snapshot;
import io.quantbot.sweep.snapshot.SnapshotCandleSource;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.snapshot.SnapshotReader;
import io.quantbot.sweep.snapshot.SnapshotSummary;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The decision record, measured: the same sweep workload (examples/demo-sweep.yaml over the demo snapshot,
 * 96 runs × 2,000 calls = 192,000 backtests) written three ways in one JVM on one machine.
 *
 * <ol>
 *   <li>Through the daemon: {@link RemoteSweep}, the code path of {@code sweep-runner run} (candles by
 *       BatchGetCandles, BatchCreateRuns, AppendRunRows, BatchFinishRuns, StatePort BatchSet checkpoints, the final seal into
 *       Parquet) against a real daemon (production modules, on disk, loopback gRPC, two Python workers).</li>
 *   <li>The in-process ceiling: the same simulation ({@link LocalSweep}, candles already in memory) writing
 *       every run's rows with the DuckDB Appender into a file database, one transaction per run, no RPC; and (2b) the
       same with the fastest in-process way found, a columnar bulk insert (one INSERT ... SELECT per chunk).</li>
 *   <li>The forbidden pattern: one Python process per run, started with {@code python -c}, importing duckdb,
 *       opening a database file and inserting that run's rows (sent as JSON lines on stdin, bulk-inserted with
 *       read_json: the fastest way such a script could write them). Measured on a sample of runs and
 *       extrapolated. Also per backtest (one process per result row), the granularity at which the old
 *       system spawned a process per storage call.</li>
 * </ol>
 *
 * <p>Run: {@code mvn -q -B -o -pl sweep-runner exec:exec@sweep-bench} (after installing proto, python-worker,
 * storage-daemon and client-sdk). Properties: {@code bench.python}, {@code bench.spec},
 * {@code bench.spawn-sample} (runs measured for the forbidden pattern, default 8).
 */
public final class SweepBenchmark {
    private static final String PYTHON_WRITER = """
            import sys, duckdb
            con = duckdb.connect(sys.argv[1])
            con.execute(sys.argv[2])
            con.execute("INSERT INTO run_results SELECT * FROM read_json('/dev/stdin', format='newline_delimited', "
                        "columns=" + sys.argv[3] + ")")
            con.close()
            """;

    private SweepBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path python = Path.of(System.getProperty("bench.python", "python-worker/.venv/bin/python")).toAbsolutePath();
        Path specFile = Path.of(System.getProperty("bench.spec", "examples/demo-sweep.yaml"));
        int spawnSample = Integer.getInteger("bench.spawn-sample", 8);
        if (!Files.isExecutable(python)) {
            throw new IllegalStateException("no Python at " + python + " (build python-worker first)");
        }
        Path work = Files.createTempDirectory("sweep-bench-");
        Path daemonDir = work.resolve("daemon");
        Path snapshotFolder = daemonDir.resolve("imports").resolve("demo-42");
        SweepSpec spec = new SweepSpecLoader().load(specFile);
        out("Sweep benchmark: the decision record, measured (%d cores, Java %s, work dir %s)",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), work);

        SnapshotSummary generated = new SnapshotGenerator(SnapshotOptions.defaults()).generate(snapshotFolder);
        out("(setup) generated the demo snapshot: %d tokens, %,d one-minute candles, %,d calls in %.1f s", generated.tokens(),
                generated.oneMinuteCandles(), generated.calls(), generated.elapsed().toNanos() / 1e9);
        Snapshot snapshot = new SnapshotReader(spec.parallelism()).read(snapshotFolder);
        long backtests = (long) spec.scenarioCount() * snapshot.calls().size();
        out("workload: %s over the demo snapshot: %d runs (scenarios) × %,d calls = %,d backtests, %,d rows per run",
                specFile, spec.scenarioCount(), snapshot.calls().size(), backtests, snapshot.calls().size());
        out("");

        // (2) first: it warms the simulation code the daemon path shares.
        ceiling(spec, snapshot, work.resolve("ceiling-warmup.duckdb"));
        Measured ceiling = ceiling(spec, snapshot, work.resolve("ceiling.duckdb"));
        bulkCeiling(spec, snapshot, work.resolve("bulk-warmup.duckdb"));
        Measured bulk = bulkCeiling(spec, snapshot, work.resolve("bulk.duckdb"));

        Measured daemon;
        Measured daemonCommitted;
        try (TestingStorageDaemon storage = TestingStorageDaemon.builder()
                .onDisk(daemonDir)
                .set("python-worker.pool-size", "2")
                .set("python-worker.python", python.toString())
                .set("log.access", "off")
                .build();
                QuantbotStorageClient client = QuantbotStorageClient.builder().target("127.0.0.1:" + storage.grpcPort())
                        .coarseDeadline(Duration.ofMinutes(5)).build()) {
            long importStart = System.nanoTime();
            client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder()
                    .setSourceDir(snapshotFolder.toString()).setSnapshotName("demo").build());
            out("(setup) ImportSnapshot of the demo snapshot into the daemon: %.1f s (not measured below)", seconds(importStart));
            Artifact alerts = CallsArtifacts.resolve(client.artifacts(), spec.calls());
            List<Call> calls = CallsArtifacts.load(client.artifacts(), alerts);
            ServerInfo before = client.artifacts().getServerInfo();
            throughDaemon(client, withSweepId(spec, "bench-warmup"), alerts, calls);
            RemoteSweepResult measured = throughDaemon(client, withSweepId(spec, "bench"), alerts, calls);
            daemon = new Measured(measured.backtests(), measured.elapsed().toNanos() / 1e9, spec.scenarioCount());
            daemonCommitted = new Measured(measured.backtests(), measured.rowsCommitted().toNanos() / 1e9, spec.scenarioCount());
            ServerInfo after = client.artifacts().getServerInfo();
            out("    python worker spawns during both daemon sweeps: %d", after.getWorkerSpawnCount() - before.getWorkerSpawnCount());
        }

        Path pythonDb = work.resolve("forbidden.duckdb");
        LocalSweepResult rows = new LocalSweep(spec).run(snapshot.calls(), new SnapshotCandleSource(snapshot), quiet());
        Measured perRun = spawnPerRun(python, pythonDb, rows.scenarios().subList(0, Math.min(spawnSample, rows.scenarios().size())),
                spec.chunkRows());
        Measured perBacktest = spawnPerBacktest(python, pythonDb, rows.scenarios().get(0), spec.chunkRows(), spawnSample * 4);

        out("");
        out("%-78s %14s %10s", "", "backtests/s", "192k in");
        line("(1) through the daemon, every row committed (run's code path, gRPC)", daemonCommitted);
        line("(1) through the daemon, runs finished and sealed into Parquet", daemon);
        line("(2) in-process ceiling (same simulation, DuckDB Appender, no RPC)", ceiling);
        line("(2b) in-process bulk ceiling (same simulation, columnar INSERT ... SELECT, no RPC)", bulk);
        line(String.format(Locale.ROOT, "(3) one Python process per run (measured on %d of %d runs, extrapolated)",
                perRun.sampled, spec.scenarioCount()), perRun);
        line(String.format(Locale.ROOT, "(3') one Python process per backtest (measured on %d, extrapolated)", perBacktest.sampled),
                perBacktest);
        out("");
        out("(1) / (2)  = %5.1f%% rows committed, %5.1f%% sealed   (target >= 50%%)  %s, %s",
                100 * daemonCommitted.rate() / ceiling.rate(), 100 * daemon.rate() / ceiling.rate(),
                daemonCommitted.rate() >= 0.5 * ceiling.rate() ? "met" : "NOT met",
                daemon.rate() >= 0.5 * ceiling.rate() ? "met" : "NOT met");
        out("(1) / (2b) rows committed = %5.1f%% of the bulk ceiling (target >= 50%%)", 100 * daemonCommitted.rate() / bulk.rate());
        out("(1) / (2b) sealed         = %5.1f%% of the bulk ceiling (target >= 35%%)", 100 * daemon.rate() / bulk.rate());
        out("(1) / (3)  = %,7.0f×  (target >= 500×) %s", daemon.rate() / perRun.rate(),
                daemon.rate() >= 500 * perRun.rate() ? "met" : "NOT met");
        out("(1) / (3') = %,7.0f×  (target >= 500×) %s", daemon.rate() / perBacktest.rate(),
                daemon.rate() >= 500 * perBacktest.rate() ? "met" : "NOT met");
        deleteTree(work);
    }

    /** What one way of writing the workload measured. */
    private record Measured(long backtests, double seconds, int sampled) {
        double rate() {
            return backtests / seconds;
        }
    }

    private static Measured ceiling(SweepSpec spec, Snapshot snapshot, Path file) throws Exception {
        long start = System.nanoTime();
        LocalSweepResult result = new LocalSweep(spec).run(snapshot.calls(), new SnapshotCandleSource(snapshot), quiet());
        double simulated = seconds(start);
        long rows = 0;
        try (DuckDBConnection connection = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file);
                Statement statement = connection.createStatement()) {
            statement.execute(createTable());
            try (DuckDBAppender appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "run_results")) {
                int run = 0;
                for (ScenarioResults scenario : result.scenarios()) {
                    String runId = String.format(Locale.ROOT, "run_%026d", ++run);
                    statement.execute("BEGIN TRANSACTION");
                    for (int sequence = 0; sequence < scenario.chunkCount(spec.chunkRows()); sequence++) {
                        rows += append(appender, runId, scenario.chunk(sequence, spec.chunkRows()));
                    }
                    appender.flush();
                    statement.execute("COMMIT");
                }
            }
            try (ResultSet count = statement.executeQuery("SELECT count(*) FROM run_results")) {
                count.next();
                if (count.getLong(1) != rows) {
                    throw new IllegalStateException("the ceiling wrote " + count.getLong(1) + " rows, expected " + rows);
                }
            }
        }
        double total = seconds(start);
        if (file.getFileName().toString().contains("warmup")) {
            out("(2) warm-up: %.2f s", total);
        }
        else {
            out("(2) in-process ceiling: simulation %.2f s, Appender %.2f s (%d transactions)", simulated, total - simulated,
                    result.scenarios().size());
        }
        return new Measured(rows, total, result.scenarios().size());
    }

    /**
     * (2b) The fastest in-process way found to persist the same rows (docs/benchmarks.md lists what else was tried):
     * the same simulation, then each run's chunks inserted column by column, one INSERT ... SELECT from a Java table
     * function over the chunk's arrays per chunk ({@code ColumnarRunRows}, into the daemon's own run_rows table, which
     * also stores chunk_seq), one transaction per run, no RPC.
     */
    private static Measured bulkCeiling(SweepSpec spec, Snapshot snapshot, Path file) throws Exception {
        long start = System.nanoTime();
        LocalSweepResult result = new LocalSweep(spec).run(snapshot.calls(), new SnapshotCandleSource(snapshot), quiet());
        double simulated = seconds(start);
        long rows = 0;
        try (DuckDBConnection connection = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file);
                ColumnarRunRows columnar = new ColumnarRunRows();
                Statement statement = connection.createStatement()) {
            SchemaMigrator.migrate(connection);
            int run = 0;
            for (ScenarioResults scenario : result.scenarios()) {
                String runId = String.format(Locale.ROOT, "run_%026d", ++run);
                statement.execute("BEGIN TRANSACTION");
                for (int sequence = 0; sequence < scenario.chunkCount(spec.chunkRows()); sequence++) {
                    rows += columnar.insert(connection, runId, sequence + 1, spec.sweepId(), scenario.scenario().id(),
                            rowBatch(scenario.chunk(sequence, spec.chunkRows())));
                }
                statement.execute("COMMIT");
            }
            try (ResultSet count = statement.executeQuery("SELECT count(*) FROM run_rows")) {
                count.next();
                if (count.getLong(1) != rows) {
                    throw new IllegalStateException("the bulk ceiling wrote " + count.getLong(1) + " rows, expected " + rows);
                }
            }
        }
        double total = seconds(start);
        if (file.getFileName().toString().contains("warmup")) {
            out("(2b) warm-up: %.2f s", total);
        }
        else {
            out("(2b) in-process bulk ceiling: simulation %.2f s, columnar insert %.2f s (%d transactions)", simulated, total - simulated,
                    result.scenarios().size());
        }
        return new Measured(rows, total, result.scenarios().size());
    }

    /** A chunk's columns as arrays (dictionary strings expanded, null bitmaps as BitSets): the daemon's columnar batch. */
    private static RowBatch rowBatch(ResultBatch batch) {
        List<RowColumn> columns = new ArrayList<>(batch.columns().size());
        for (ResultColumn column : batch.columns()) {
            BitSet nulls = BitSet.valueOf(column.nullBitmap());
            if (column instanceof ResultColumn.LongColumn longs) {
                columns.add(new RowColumn.Longs(column.name(), longs.values(), nulls));
            }
            else if (column instanceof ResultColumn.DoubleColumn doubles) {
                columns.add(new RowColumn.Doubles(column.name(), doubles.values(), nulls));
            }
            else if (column instanceof ResultColumn.BooleanColumn booleans) {
                columns.add(new RowColumn.Booleans(column.name(), booleans.values(), nulls));
            }
            else if (column instanceof ResultColumn.DictionaryStringColumn strings) {
                String[] values = new String[batch.rowCount()];
                for (int row = 0; row < values.length; row++) {
                    values[row] = strings.value(row);
                }
                columns.add(new RowColumn.Strings(column.name(), values));
            }
        }
        return RowBatch.of(batch.rowCount(), columns);
    }

    private static int append(DuckDBAppender appender, String runId, ResultBatch batch) throws Exception {
        List<ResultColumn> columns = batch.columns();
        for (int row = 0; row < batch.rowCount(); row++) {
            appender.beginRow();
            appender.append(runId);
            for (ResultColumn column : columns) {
                if (column.isNull(row)) {
                    appender.appendNull();
                }
                else if (column instanceof ResultColumn.LongColumn longs) {
                    appender.append(longs.values()[row]);
                }
                else if (column instanceof ResultColumn.DoubleColumn doubles) {
                    appender.append(doubles.values()[row]);
                }
                else if (column instanceof ResultColumn.BooleanColumn booleans) {
                    appender.append(booleans.values()[row]);
                }
                else if (column instanceof ResultColumn.DictionaryStringColumn strings) {
                    appender.append(strings.value(row));
                }
            }
            appender.endRow();
        }
        return batch.rowCount();
    }

    private static RemoteSweepResult throughDaemon(QuantbotStorageClient client, SweepSpec spec, Artifact alerts,
            List<Call> calls) throws Exception {
        RemoteSweep sweep = new RemoteSweep(client, new SdkCandleSource(client.artifacts()), spec, alerts.getId(),
                new SweepMetadata(RunnerBuild.current(), SweepMetadata.specHash(spec), "bench", "bench", 0,
                        spec.calls().describe(), alerts.getId(), alerts.getContentHash()),
                new RemoteSweep.Options(16, ProgressReporter.Mode.OFF), Clock.systemUTC());
        RemoteSweepResult result = sweep.run(calls, SweepListener.NONE, new PrintWriter(new StringWriter()));
        if (!result.failures().isEmpty() || result.interrupted() || result.backtests() != (long) spec.scenarioCount() * calls.size()) {
            throw new IllegalStateException("the daemon sweep did not write everything: " + result.failures());
        }
        out("(1) %s: every row committed after %.2f s, runs finished and sealed (%d seals, %.2f s in FinishRun+seal) "
                + "after %.2f s; time per phase, summed over threads: %s",
                spec.sweepId().equals("bench") ? "through the daemon" : "warm-up", result.rowsCommitted().toNanos() / 1e9,
                result.seals(), result.phases().get(Phase.FINISH_AND_SEAL).toNanos() / 1e9, result.elapsed().toNanos() / 1e9,
                result.describePhases());
        return result;
    }

    /** One {@code python -c} per run: import duckdb, open the file, bulk-insert the run's rows, exit. */
    private static Measured spawnPerRun(Path python, Path database, List<ScenarioResults> runs, int chunkRows)
            throws Exception {
        long start = System.nanoTime();
        long rows = 0;
        int run = 0;
        for (ScenarioResults scenario : runs) {
            String runId = String.format(Locale.ROOT, "run_%026d", ++run);
            List<ResultBatch> chunks = scenario.chunks(chunkRows);
            rows += spawnWriter(python, database, runId, chunks, 0, scenario.size());
        }
        double seconds = seconds(start);
        out("(3) %d Python processes, one per run, wrote %,d rows in %.2f s (%.0f ms per process)", runs.size(), rows, seconds,
                1000 * seconds / runs.size());
        return new Measured(rows, seconds, runs.size());
    }

    /** One {@code python -c} per backtest: the same writer with a single row. */
    private static Measured spawnPerBacktest(Path python, Path database, ScenarioResults scenario, int chunkRows, int sample)
            throws Exception {
        List<ResultBatch> chunks = scenario.chunks(chunkRows);
        long start = System.nanoTime();
        for (int row = 0; row < sample; row++) {
            spawnWriter(python, database, "run_backtest_" + row, chunks, row, row + 1);
        }
        double seconds = seconds(start);
        out("(3') %d Python processes, one per backtest, wrote %d rows in %.2f s (%.0f ms per process)", sample, sample, seconds,
                1000 * seconds / sample);
        return new Measured(sample, seconds, sample);
    }

    /** Starts the writer, streams rows [from, to) of the run (across chunks) as JSON lines, checks it exited 0. */
    private static long spawnWriter(Path python, Path database, String runId, List<ResultBatch> chunks, int from, int to)
            throws Exception {
        Process process = new ProcessBuilder(python.toString(), "-c", PYTHON_WRITER, database.toString(), createTable(),
                readJsonColumns())
                .redirectErrorStream(true)
                .start();
        long written = 0;
        try (OutputStream stdin = process.getOutputStream();
                JsonGenerator json = new JsonFactory().createGenerator(stdin)) {
            int offset = 0;
            for (ResultBatch chunk : chunks) {
                for (int row = 0; row < chunk.rowCount(); row++) {
                    int index = offset + row;
                    if (index >= from && index < to) {
                        writeRow(json, runId, chunk, row);
                        written++;
                    }
                }
                offset += chunk.rowCount();
            }
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("the Python writer failed: " + output);
        }
        return written;
    }

    private static void writeRow(JsonGenerator json, String runId, ResultBatch chunk, int row) throws IOException {
        json.writeStartObject();
        json.writeStringField("run_id", runId);
        for (ResultColumn column : chunk.columns()) {
            json.writeFieldName(column.name());
            if (column.isNull(row)) {
                json.writeNull();
            }
            else if (column instanceof ResultColumn.LongColumn longs) {
                json.writeNumber(longs.values()[row]);
            }
            else if (column instanceof ResultColumn.DoubleColumn doubles) {
                json.writeNumber(doubles.values()[row]);
            }
            else if (column instanceof ResultColumn.BooleanColumn booleans) {
                json.writeBoolean(booleans.values()[row]);
            }
            else if (column instanceof ResultColumn.DictionaryStringColumn strings) {
                json.writeString(strings.value(row));
            }
        }
        json.writeEndObject();
        json.writeRaw('\n');
    }

    private static String createTable() {
        return "CREATE TABLE IF NOT EXISTS run_results (run_id VARCHAR, " + RunResultColumns.COLUMNS.stream()
                .map(column -> column.name() + " " + column.type()).collect(Collectors.joining(", ")) + ")";
    }

    /** {@code {'run_id': 'VARCHAR', …}}: read_json's columns argument in table order. */
    private static String readJsonColumns() {
        return "{'run_id': 'VARCHAR', " + RunResultColumns.COLUMNS.stream()
                .map(column -> "'" + column.name() + "': '" + column.type() + "'").collect(Collectors.joining(", ")) + "}";
    }

    private static SweepSpec withSweepId(SweepSpec spec, String sweepId) {
        return new SweepSpec(sweepId, spec.calls(), spec.intervals(), spec.entryLagsMillis(), spec.overlaySets(),
                spec.takerFeeBps(), spec.slippageBps(), spec.notionalUsd(), spec.timeFrameMillis(), spec.parallelism(),
                spec.chunkRows());
    }

    private static void line(String label, Measured measured) {
        double seconds192k = measured.rate() > 0 ? 192_000 / measured.rate() : Double.NaN;
        out("%-78s %,14.0f %9.1fs", label, measured.rate(), seconds192k);
    }

    private static ProgressReporter quiet() {
        return new ProgressReporter("backtests", 0, ProgressReporter.Mode.OFF, new PrintWriter(new StringWriter()));
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void out(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

}
