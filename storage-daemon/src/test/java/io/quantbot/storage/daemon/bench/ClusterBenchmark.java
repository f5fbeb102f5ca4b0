package io.quantbot.storage.daemon.bench;

import io.grpc.ManagedChannel;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.RunAppends;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * cluster-bench: ingest and seal through 1, 2 and 3 daemons of one cluster (each its own process, data dir and
 * ports; one PostgreSQL; one warehouse) against one embedded daemon, on this machine. Every daemon gets the same load:
 * {@code bench.cluster.clients} client threads, each creating runs (with an idempotency key, as the sweep runner does),
 * appending {@code bench.cluster.rows} rows in chunks of 500 and finishing them with SEAL_MODE_RUN (one seal each),
 * for {@code bench.seconds}. Prints rows/s and seals/s in total and the FinishRun (seal) latency, each cluster size
 * against the embedded daemon and against one cluster daemon.
 *
 * <p>Needs a PostgreSQL role that may create databases: {@code -Dquantbot.test.postgres=FILE} as written by
 * {@code bash bench/postgres-setup --test FILE} (each cluster size gets a fresh database, dropped afterwards).
 */
public final class ClusterBenchmark {
    private static final int CHUNK = 500;
    private static final int ROWS = Integer.getInteger("bench.cluster.rows", 2_000);
    private static final int CLIENTS = Integer.getInteger("bench.cluster.clients", 4);
    private static final long SECONDS = Long.getLong("bench.seconds", 6);
    private static final Duration START = Duration.ofMinutes(2);

    private ClusterBenchmark() {}

    record Result(String label, int daemons, long runs, long rows, double seconds, double sealP50Ms, double sealP99Ms) {
        double rowsPerSecond() {
            return rows / seconds;
        }

        double sealsPerSecond() {
            return runs / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("cluster-bench-");
        System.out.printf(Locale.ROOT, "Cluster benchmark (%d cores, %s): per daemon %d clients, runs of %d rows (chunks of %d) sealed one by one, %ds per phase%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), CLIENTS, ROWS, CHUNK, SECONDS);
        List<Result> results = new ArrayList<>();
        results.add(phase("embedded", 1, dir.resolve("embedded"), null));
        for (int daemons = 1; daemons <= 3; daemons++) {
            try (TestPostgres.Database database = TestPostgres.newDatabase()) {
                results.add(phase("cluster", daemons, dir.resolve("cluster-" + daemons), database));
            }
        }
        Result embedded = results.get(0);
        Result one = results.get(1);
        System.out.println();
        System.out.println("| engine | daemons | rows/s | seals/s | FinishRun p50 ms | p99 ms | rows/s vs embedded | vs 1 cluster daemon |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Result result : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.1f | %.1f | %.1f | %.2fx | %s |%n", result.label(), result.daemons(), result.rowsPerSecond(),
                    result.sealsPerSecond(), result.sealP50Ms(), result.sealP99Ms(), result.rowsPerSecond() / embedded.rowsPerSecond(),
                    result.label().equals("cluster") ? String.format(Locale.ROOT, "%.2fx", result.rowsPerSecond() / one.rowsPerSecond()) : "-");
        }
        for (Result result : results) {
            System.out.printf(Locale.ROOT, "cluster-bench %s daemons=%d rows_per_s=%.0f seals_per_s=%.2f seal_p50_ms=%.2f vs_embedded=%.2f%n",
                    result.label(), result.daemons(), result.rowsPerSecond(), result.sealsPerSecond(), result.sealP50Ms(),
                    result.rowsPerSecond() / embedded.rowsPerSecond());
        }
    }

    private static Result phase(String label, int daemons, Path dir, TestPostgres.Database database) throws Exception {
        List<DaemonProcess> nodes = new ArrayList<>();
        try {
            for (int node = 0; node < daemons; node++) {
                List<String> args = new ArrayList<>(List.of("--set", "log.access=off"));
                if (database != null) {
                    args.addAll(List.of(database.nodeArgs("bench-node-" + node)));
                }
                nodes.add(DaemonProcess.start(dir.resolve("node-" + node), args.toArray(String[]::new)));
            }
            for (DaemonProcess node : nodes) {
                node.awaitReady(START);
            }
            // Warm-up: a few runs per client, not counted.
            load(nodes, "warm", TimeUnit.SECONDS.toNanos(2));
            Load counted = load(nodes, "bench", TimeUnit.SECONDS.toNanos(SECONDS));
            long[] sorted = counted.latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            Result result = new Result(label, daemons, sorted.length, (long) sorted.length * ROWS, counted.seconds, percentile(sorted, 0.50) / 1e6,
                    percentile(sorted, 0.99) / 1e6);
            System.out.printf(Locale.ROOT, "%-8s %d daemon(s): %,d runs sealed, %,.0f rows/s, %.1f seals/s, FinishRun p50 %.1f ms p99 %.1f ms%n", label,
                    daemons, result.runs(), result.rowsPerSecond(), result.sealsPerSecond(), result.sealP50Ms(), result.sealP99Ms());
            if (database != null) {
                lakeCommits(nodes);
            }
            return result;
        } finally {
            for (DaemonProcess node : nodes) {
                node.close();
            }
        }
    }

    /**
     * The Iceberg side of the seals: each cluster daemon appends every registered artifact to its Iceberg table right
     * after the catalog commit (off the FinishRun path). Waits for the outbox to drain, then sums every daemon's
     * quantbot_lake_commit_latency timer and conflict counter from /metrics.
     */
    private static void lakeCommits(List<DaemonProcess> nodes) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        double seconds = 0;
        double count = 0;
        double conflicts = 0;
        for (DaemonProcess node : nodes) {
            java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + node.httpPort() + "/metrics");
            java.util.concurrent.atomic.AtomicReference<String> scraped = new java.util.concurrent.atomic.AtomicReference<>("");
            try {
                Await.until("the lake outbox of " + uri + " drained", Duration.ofSeconds(60), () -> {
                    try {
                        scraped.set(http.send(java.net.http.HttpRequest.newBuilder(uri).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return true;
                    }
                    return metric(scraped.get(), "quantbot_lake_pending") == 0;
                });
            } catch (AssertionError stillPending) {
                System.out.println("         (outbox of " + uri + " not drained after 60 s; counting what was committed)");
            }
            String metrics = scraped.get();
            seconds += metric(metrics, "quantbot_lake_commit_latency_seconds_sum");
            count += metric(metrics, "quantbot_lake_commit_latency_seconds_count");
            conflicts += metric(metrics, "quantbot_lake_commit_conflicts_total");
        }
        System.out.printf(Locale.ROOT, "         Iceberg lake: %.0f commits (appends and retirements, warm-up included), mean %.1f ms each, %.0f conflicts retried%n",
                count, count == 0 ? 0 : seconds * 1000 / count, conflicts);
    }

    /** The sum of a metric's samples (every label set) in Prometheus text. */
    private static double metric(String text, String name) {
        double total = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    private record Load(List<Long> latencies, double seconds) {}

    private static Load load(List<DaemonProcess> nodes, String prefix, long nanos) throws Exception {
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * CLIENTS);
        List<Future<?>> futures = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + nanos;
        try {
            for (int n = 0; n < nodes.size(); n++) {
                ManagedChannel channel = nodes.get(n).channel();
                for (int c = 0; c < CLIENTS; c++) {
                    String client = prefix + "-n" + n + "-c" + c;
                    futures.add(pool.submit(() -> {
                        int run = 0;
                        while (System.nanoTime() < end) {
                            oneRun(channel, client, run++, latencies);
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> future : futures) {
                future.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Load(latencies, (System.nanoTime() - start) / 1e9);
    }

    private static void oneRun(ManagedChannel channel, String client, int run, List<Long> latencies) throws Exception {
        ArtifactPortGrpc.ArtifactPortBlockingStub stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
        String scenario = client + "-" + run;
        String runId = stub.createRun(CreateRunRequest.newBuilder().setSweepId("bench").setScenarioId(scenario).setIdempotencyKey("bench/" + scenario)
                .build()).getRun().getRunId();
        List<AppendRunRowsRequest> chunks = new ArrayList<>();
        for (int seq = 1; seq * CHUNK <= ROWS; seq++) {
            chunks.add(AppendRunRowsRequest.newBuilder().setRunId(runId).setChunkSeq(seq).setRows(RowChunks.chunk((seq - 1) * CHUNK, CHUNK)).build());
        }
        RunAppends.append(channel, chunks);
        long start = System.nanoTime();
        stub.finishRun(FinishRunRequest.newBuilder().setRunId(runId).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setSeal(SealMode.SEAL_MODE_RUN).build());
        latencies.add(System.nanoTime() - start);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }
}
