package io.quantbot.storage.daemon.bench;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.BatchEngine;
import io.quantbot.storage.daemon.batch.ImportSnapshotCommand;
import io.quantbot.storage.daemon.batch.ImportSnapshotResult;
import io.quantbot.storage.daemon.batch.QueryCommand;
import io.quantbot.storage.daemon.batch.QueryFormat;
import io.quantbot.storage.daemon.batch.QueryResult;
import io.quantbot.storage.daemon.config.ConfigProperty;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.info.WorkerPoolStatus;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerModule;
import io.quantbot.storage.daemon.storage.pyworker.PythonWorkerPool;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The warm pool against the old way, measured in the same run on the same machine:
 *
 * <ol>
 *   <li>Latency of a small Query ({@code SELECT count(*), avg(close) FROM candles} over one Parquet file of
 *       1,440 one-minute candles) through the warm pool (BatchEngine → pool → worker and back, JSON rows),
 *       against the same SQL done the old way: spawn {@code python -c} that imports duckdb, opens a
 *       database file (where {@code candles} is a view over the same Parquet file), runs the query and
 *       prints the row — per call. The old way is sampled with 20 calls (p99 of 20 is their maximum).
 *   <li>ImportSnapshot throughput on a generated snapshot of 200 tokens × 5,000 one-minute candles
 *       (1M candles, valid OHLC, one CSV per token) with the shipped worker settings.
 * </ol>
 *
 * <p>Run: {@code mvn -q -B install -DskipTests && mvn -q -B -pl storage-daemon exec:exec@pool-bench}
 * (options: -Dbench.queries=N warm queries, -Dbench.spawns=N old-way calls, -Dbench.tokens=N, -Dbench.candles=N).
 */
public final class WorkerPoolBenchmark {
    private static final int QUERIES = Integer.getInteger("bench.queries", 2_000);
    private static final int SPAWNS = Integer.getInteger("bench.spawns", 20);
    private static final int TOKENS = Integer.getInteger("bench.tokens", 200);
    private static final int CANDLES_PER_TOKEN = Integer.getInteger("bench.candles", 5_000);
    private static final String SQL = "SELECT count(*), avg(close) FROM candles";
    private static final String OLD_WAY = String.join("\n",
            "import duckdb, json, sys",
            "con = duckdb.connect(sys.argv[1])",
            "print(json.dumps(con.execute(sys.argv[2]).fetchall()))",
            "con.close()");
    private static final long START_TS = 1_700_000_000_000L;

    private WorkerPoolBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path python = Path.of(System.getProperty("bench.python", "../python-worker/.venv/bin/python")).toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory("pool-bench-");
        Path dataDir = dir.resolve("data");
        Path candles = writeCandlesParquet(dataDir.resolve("lake/ohlcv_slice/v1/bench-candles.parquet"), 1_440);
        Path oldDatabase = dir.resolve("old-way.duckdb");
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + oldDatabase);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE VIEW candles AS SELECT * FROM read_parquet('" + candles + "')");
        }

        List<ConfigProperty<?>> properties = new ArrayList<>(DatabaseConfig.PROPERTIES);
        properties.addAll(PythonWorkerConfig.PROPERTIES);
        Map<String, String> settingsByKey = new java.util.HashMap<>(Map.of("data-dir", dataDir.toString(), "python-worker.python", python.toString()));
        // -Dbench.daemon.<key>=<value> sets any pool key for A/B runs, e.g. -Dbench.daemon.python-worker.max-requests=0.
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("bench.daemon.")) {
                settingsByKey.put(name.substring("bench.daemon.".length()), System.getProperty(name));
            }
        }
        ResolvedConfig config = ResolvedConfig.of(properties, settingsByKey);
        Readiness readiness = new Readiness();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                bind(ResolvedConfig.class).toInstance(config);
                bind(DatabaseConfig.class).toInstance(DatabaseConfig.from(config));
                bind(Readiness.class).toInstance(readiness);
                bind(MeterRegistry.class).toInstance(registry);
                install(new PythonWorkerModule());
            }
        });
        PythonWorkerConfig settings = injector.getInstance(PythonWorkerConfig.class);
        PythonWorkerPool pool = injector.getInstance(PythonWorkerPool.class);
        WorkerPoolStatus status = injector.getInstance(WorkerPoolStatus.class);
        BatchEngine engine = injector.getInstance(BatchEngine.class);
        long startNanos = System.nanoTime();
        pool.start();
        while (readiness.reasons().containsKey("python-workers")) {
            if (System.nanoTime() - startNanos > TimeUnit.SECONDS.toNanos(120)) {
                throw new IllegalStateException("the pool did not get warm: " + readiness.reasons());
            }
            Thread.sleep(10);
        }
        long warmMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        try {
            System.out.printf(Locale.ROOT, "Worker pool benchmark (%d cores, java %s, python %s, duckdb %s; pool-size %d, threads %d, memory-limit %s)%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), status.pythonVersion(),
                    status.pythonDuckDbVersion(), settings.poolSize(), settings.threads(), settings.memoryLimit());
            System.out.printf(Locale.ROOT, "pool start to warm: %d ms for %d workers%n%n", warmMillis, settings.poolSize());

            QueryCommand query = new QueryCommand(SQL, Map.of("candles", List.of(candles)), QueryFormat.JSON, 0);
            String expected = engine.query(query, BatchCallOptions.none()).get().jsonRows().orElseThrow();
            for (int i = 0; i < Math.min(200, QUERIES); i++) {
                engine.query(query, BatchCallOptions.withTimeout(Duration.ofSeconds(30))).get();
            }
            LatencyRecorder warm = new LatencyRecorder();
            long warmStart = System.nanoTime();
            for (int i = 0; i < QUERIES; i++) {
                long t0 = System.nanoTime();
                QueryResult result = engine.query(query, BatchCallOptions.withTimeout(Duration.ofSeconds(30))).get();
                warm.record(System.nanoTime() - t0);
                if (!result.jsonRows().orElseThrow().equals(expected)) {
                    throw new IllegalStateException("unexpected result " + result.jsonRows());
                }
            }
            LatencyRecorder.Summary warmSummary = LatencyRecorder.summarize(List.of(warm), System.nanoTime() - warmStart);
            print("Query through the warm pool", warmSummary);

            // The floor: the same round trip with the least work DuckDB can do (no view, no file).
            QueryCommand trivial = new QueryCommand("SELECT 42 AS answer", Map.of(), QueryFormat.JSON, 0);
            LatencyRecorder floor = new LatencyRecorder();
            long floorStart = System.nanoTime();
            for (int i = 0; i < QUERIES; i++) {
                long t0 = System.nanoTime();
                engine.query(trivial, BatchCallOptions.withTimeout(Duration.ofSeconds(30))).get();
                floor.record(System.nanoTime() - t0);
            }
            print("SELECT 42 through the warm pool", LatencyRecorder.summarize(List.of(floor), System.nanoTime() - floorStart));

            LatencyRecorder old = new LatencyRecorder();
            long oldStart = System.nanoTime();
            for (int i = 0; i < SPAWNS; i++) {
                long t0 = System.nanoTime();
                String output = oldWay(python, oldDatabase);
                old.record(System.nanoTime() - t0);
                if (!output.startsWith("[[1440, ")) {
                    throw new IllegalStateException("unexpected old-way output: " + output);
                }
            }
            LatencyRecorder.Summary oldSummary = LatencyRecorder.summarize(List.of(old), System.nanoTime() - oldStart);
            print("Same query, python -c per call", oldSummary);
            System.out.printf(Locale.ROOT, "warm pool vs spawn per call at p50: %.0fx faster (target >= 100x); %d warm calls, %d spawned calls%n%n",
                    oldSummary.p50Millis() / warmSummary.p50Millis(), QUERIES, SPAWNS);

            Path snapshot = dataDir.resolve("imports/bench-snapshot");
            long generateStart = System.nanoTime();
            long bytes = writeSnapshot(snapshot);
            System.out.printf(Locale.ROOT, "generated %d tokens x %d candles (%d candles, %.1f MB of CSV) in %.1f s%n",
                    TOKENS, CANDLES_PER_TOKEN, (long) TOKENS * CANDLES_PER_TOKEN, bytes / 1e6,
                    (System.nanoTime() - generateStart) / 1e9);
            long importStart = System.nanoTime();
            ImportSnapshotResult imported = engine.importSnapshot(new ImportSnapshotCommand(snapshot, "bench", false),
                    BatchCallOptions.withTimeout(Duration.ofMinutes(10))).get();
            double seconds = (System.nanoTime() - importStart) / 1e9;
            long staged = imported.artifacts().stream().mapToLong(a -> a.sizeBytes()).sum();
            System.out.printf(Locale.ROOT, "ImportSnapshot: %d candles in %d files -> %d artifacts (%.1f MB of Parquet) in %.2f s = %.0f candles/s%n",
                    imported.candleRows(), imported.files(), imported.artifacts().size(), staged / 1e6, seconds, imported.candleRows() / seconds);
            System.out.printf(Locale.ROOT, "worker spawns during the benchmark: %d (start %.0f, recycle %.0f after python-worker.max-requests=%d, replace %.0f)%n",
                    status.spawnCount(), spawns(registry, "start"), spawns(registry, "recycle"), settings.maxRequests(), spawns(registry, "replace"));
        } finally {
            pool.stop();
            deleteTree(dir);
        }
    }

    private static String oldWay(Path python, Path database) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(python.toString(), "-c", OLD_WAY, database.toString(), SQL)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("the old-way python call failed with " + process.exitValue());
        }
        return output;
    }

    private static Path writeCandlesParquet(Path file, int rows) throws Exception {
        Files.createDirectories(file.getParent());
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
                Statement statement = connection.createStatement()) {
            statement.execute("COPY (SELECT 'So11111111111111111111111111111111111111112' AS token, 'solana' AS chain, '1m' AS interval,"
                    + " (" + START_TS + " + i * 60000)::BIGINT AS ts, 1.0 + (i % 10) / 100 AS open, 1.2 + (i % 10) / 100 AS high,"
                    + " 0.9 + (i % 10) / 100 AS low, 1.1 + (i % 10) / 100 AS close, (1000 + i)::DOUBLE AS volume FROM range(" + rows
                    + ") r(i)) TO '" + file + "' (FORMAT PARQUET)");
        }
        return file;
    }

    /** One CSV per token: a random-walk close, open = previous close, high/low around both. Returns the bytes written. */
    private static long writeSnapshot(Path folder) throws IOException {
        Files.createDirectories(folder);
        long bytes = 0;
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        for (int t = 0; t < TOKENS; t++) {
            String token = String.format(Locale.ROOT, "Tok%040d", t);
            Path file = folder.resolve("candles_" + t + ".csv");
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                out.write("token,chain,interval,ts,open,high,low,close,volume\n");
                double close = 1.0 + random.nextDouble();
                StringBuilder line = new StringBuilder(160);
                for (int i = 0; i < CANDLES_PER_TOKEN; i++) {
                    double open = close;
                    close = Math.max(1e-6, open * (1 + (random.nextDouble() - 0.5) * 0.02));
                    double high = Math.max(open, close) * (1 + random.nextDouble() * 0.005);
                    double low = Math.min(open, close) * (1 - random.nextDouble() * 0.005);
                    line.setLength(0);
                    line.append(token).append(",solana,1m,").append(START_TS + i * 60_000L).append(',')
                            .append(open).append(',').append(high).append(',').append(low).append(',').append(close).append(',')
                            .append(random.nextInt(1_000_000)).append('\n');
                    out.write(line.toString());
                }
            }
            bytes += Files.size(file);
        }
        return bytes;
    }

    private static double spawns(SimpleMeterRegistry registry, String reason) {
        return registry.get("quantbot.python_worker.spawns").tag("reason", reason).counter().count();
    }

    private static void print(String what, LatencyRecorder.Summary summary) {
        System.out.printf(Locale.ROOT, "%-32s calls=%-6d p50=%.3f ms  p99=%.3f ms  (%.0f calls/s)%n",
                what, summary.operations(), summary.p50Millis(), summary.p99Millis(), summary.opsPerSecond());
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }
}
