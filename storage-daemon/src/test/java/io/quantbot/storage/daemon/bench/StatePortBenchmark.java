package io.quantbot.storage.daemon.bench;

import io.grpc.ManagedChannel;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * StatePort Set and Get over loopback gRPC with 1, 16 and 64 concurrent clients, against the in-process
 * JDBC baseline of one autocommitted insert per write, measured in the same run on the same machine.
 * The daemon runs on disk: every acknowledged Set is committed (acknowledged means durable).
 *
 * With {@code -Dbench.postgres=FILE} (bench/postgres-setup) it also measures PostgreSQL upserts and a cluster-mode
 * daemon whose state lives in that PostgreSQL ({@code -Dbench.cluster=false} leaves the daemon out).
 *
 * <p>Run: {@code mvn -q -B install -DskipTests && mvn -q -B -pl storage-daemon exec:exec@state-bench}
 */
public final class StatePortBenchmark {
    private static final int[] CLIENTS = {1, 16, 64};
    private static final long PHASE_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("bench.seconds", 6));
    private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("bench.warm-up-seconds", 12));
    private static final String VALUE = "{\"scenario\": \"i=1m/lag=30s/ov=tp50_sl20\", \"done\": true, \"rows\": 2000}";

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("state-bench-");
        System.out.printf(Locale.ROOT, "StatePort benchmark (%d cores, %s, %ds per phase after %ds of warm-up)%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), PHASE_NANOS / 1_000_000_000L,
                WARM_UP_NANOS / 1_000_000_000L);
        LatencyRecorder.Summary baseline = jdbcBaseline(dir.resolve("baseline.duckdb"));
        print("JDBC autocommit insert (baseline)", 1, baseline);
        // PostgreSQL on this machine, when bench/postgres-setup (or you) gave one: durable upserts, one key per
        // transaction, at the same client counts as Set. fsync and synchronous_commit stay at their defaults (on).
        java.util.Map<Integer, LatencyRecorder.Summary> postgres = new java.util.TreeMap<>();
        String postgresFile = System.getProperty("bench.postgres", "");
        if (!postgresFile.isBlank()) {
            java.util.Properties settings = properties(postgresFile);
            for (int clients : CLIENTS) {
                LatencyRecorder.Summary upserts = postgresUpserts(settings, clients);
                print("PostgreSQL upsert (baseline)", clients, upserts);
                postgres.put(clients, upserts);
            }
        } else {
            System.out.println("(no PostgreSQL baseline: run bench/postgres-setup and pass -Dbench.postgres=FILE, or use bash bench/all)");
        }

        List<String> rows = new ArrayList<>();
        LatencyRecorder.Summary set16 = null;
        java.util.Map<Integer, LatencyRecorder.Summary> setByClients = new java.util.TreeMap<>();
        LatencyRecorder.Summary get1 = null;
        TestingStorageDaemon.Builder builder = TestingStorageDaemon.builder().onDisk(dir.resolve("daemon")).set("log.access", "off")
                .set("grpc.executor-threads", System.getProperty("bench.executor-threads", "16"));
        // -Dbench.daemon.<key>=<value> sets any daemon key, e.g. -Dbench.daemon.group-commit.max-delay=0ms.
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("bench.daemon.")) {
                builder.set(name.substring("bench.daemon.".length()), System.getProperty(name));
                System.out.printf(Locale.ROOT, "daemon setting %s=%s%n", name.substring("bench.daemon.".length()), System.getProperty(name));
            }
        }
        try (TestingStorageDaemon daemon = builder.build()) {
            List<ManagedChannel> channels = warmedUpChannels(daemon);
            io.micrometer.core.instrument.DistributionSummary batches = daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class)
                    .get("quantbot.group_commit.batch_size").summary();
            io.micrometer.core.instrument.Timer commits = daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class)
                    .get("quantbot.group_commit.commit").timer();
            for (int clients : CLIENTS) {
                long batchesBefore = batches.count();
                double opsBefore = batches.totalAmount();
                double commitNanosBefore = commits.totalTime(TimeUnit.NANOSECONDS);
                LatencyRecorder.Summary set = run(channels, clients, true);
                print("gRPC Set", clients, set);
                long batchCount = Math.max(1, batches.count() - batchesBefore);
                System.out.printf(Locale.ROOT, "%-36s mean group-commit batch: %.1f writes, %.3f ms in the transaction (BEGIN to COMMIT)%n", "",
                        (batches.totalAmount() - opsBefore) / batchCount,
                        (commits.totalTime(TimeUnit.NANOSECONDS) - commitNanosBefore) / batchCount / 1e6);
                if (clients == 16) {
                    set16 = set;
                }
                setByClients.put(clients, set);
            }
            for (int clients : CLIENTS) {
                LatencyRecorder.Summary get = run(channels, clients, false);
                print("gRPC Get", clients, get);
                if (clients == 1) {
                    get1 = get;
                }
            }
        }
        // Cluster mode (issue 13): the same Set and Get phases through a daemon whose state lives in that PostgreSQL,
        // in a schema of this run's own (dropped at the end), so the cost of a shared state write sits beside the
        // embedded daemon's and the raw upsert's.
        java.util.Map<Integer, LatencyRecorder.Summary> clusterSets = new java.util.TreeMap<>();
        LatencyRecorder.Summary clusterGet1 = null;
        if (!postgresFile.isBlank() && Boolean.parseBoolean(System.getProperty("bench.cluster", "true"))) {
            java.util.Properties settings = properties(postgresFile);
            String schema = "state_bench_" + Long.toHexString(System.nanoTime());
            java.util.Properties login = new java.util.Properties();
            login.setProperty("user", settings.getProperty("user"));
            login.setProperty("password", settings.getProperty("password"));
            try (Connection setup = DriverManager.getConnection(settings.getProperty("url"), login); Statement statement = setup.createStatement()) {
                statement.execute("CREATE SCHEMA " + schema);
            }
            Path secret = Files.createTempFile(dir, "pg-", ".secret",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(secret, settings.getProperty("password") + "\n");
            String url = settings.getProperty("url");
            TestingStorageDaemon.Builder cluster = TestingStorageDaemon.builder().onDisk(dir.resolve("cluster-node")).set("log.access", "off")
                    .set("grpc.executor-threads", System.getProperty("bench.executor-threads", "16"))
                    .set("storage.mode", "cluster")
                    .set("cluster.postgres-url", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema)
                    .set("cluster.postgres-user", settings.getProperty("user"))
                    .set("cluster.postgres-password-file", secret.toString())
                    .set("cluster.warehouse", dir.resolve("warehouse").toUri().toString())
                    .set("cluster.node-id", "state-bench");
            try (TestingStorageDaemon daemon = cluster.build()) {
                List<ManagedChannel> channels = warmedUpChannels(daemon);
                for (int clients : CLIENTS) {
                    LatencyRecorder.Summary set = run(channels, clients, true);
                    print("cluster mode gRPC Set (PostgreSQL)", clients, set);
                    clusterSets.put(clients, set);
                }
                clusterGet1 = run(channels, 1, false);
                print("cluster mode gRPC Get (PostgreSQL)", 1, clusterGet1);
                for (ManagedChannel channel : channels) {
                    channel.shutdownNow();
                }
            } finally {
                try (Connection setup = DriverManager.getConnection(settings.getProperty("url"), login); Statement statement = setup.createStatement()) {
                    statement.execute("DROP SCHEMA " + schema + " CASCADE");
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nSet at 16 clients / JDBC autocommit baseline: %.1fx (target >= 5x)%n", set16.opsPerSecond() / baseline.opsPerSecond());
        System.out.printf(Locale.ROOT, "Get p50 at 1 client: %.3f ms (target < 0.5 ms)%n", get1.p50Millis());
        if (!postgres.isEmpty()) {
            System.out.printf(Locale.ROOT, "Set at 1 client / PostgreSQL upsert: %.2fx%n",
                    setByClients.get(1).opsPerSecond() / postgres.get(1).opsPerSecond());
            System.out.printf(Locale.ROOT, "Set at 16 clients / PostgreSQL upsert: %.2fx (target >= 0.6x)%n",
                    setByClients.get(16).opsPerSecond() / postgres.get(16).opsPerSecond());
            System.out.printf(Locale.ROOT, "Set at 64 clients / PostgreSQL upsert: %.2fx (target >= 1.0x)%n",
                    setByClients.get(64).opsPerSecond() / postgres.get(64).opsPerSecond());
        }
        for (var entry : clusterSets.entrySet()) {
            int clients = entry.getKey();
            System.out.printf(Locale.ROOT, "cluster mode Set at %d client(s): %.2fx the embedded daemon's Set, %.2fx the raw PostgreSQL upsert"
                    + " (p50 %.3f ms against %.3f ms embedded)%n", clients, entry.getValue().opsPerSecond() / setByClients.get(clients).opsPerSecond(),
                    entry.getValue().opsPerSecond() / postgres.get(clients).opsPerSecond(), entry.getValue().p50Millis(),
                    setByClients.get(clients).p50Millis());
        }
        if (clusterGet1 != null) {
            System.out.printf(Locale.ROOT, "cluster mode Get p50 at 1 client: %.3f ms (embedded %.3f ms)%n", clusterGet1.p50Millis(), get1.p50Millis());
        }
    }

    /**
     * Durable upserts into PostgreSQL ({@code INSERT ... ON CONFLICT DO UPDATE} of one key per autocommitted
     * transaction, prepared), {@code clients} connections at once for one phase, after a short unmeasured warm-up.
     */
    private static LatencyRecorder.Summary postgresUpserts(java.util.Properties settings, int clients) throws Exception {
        String url = settings.getProperty("url");
        java.util.Properties login = new java.util.Properties();
        login.setProperty("user", settings.getProperty("user"));
        login.setProperty("password", settings.getProperty("password"));
        try (Connection setup = DriverManager.getConnection(url, login); Statement statement = setup.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS state (namespace TEXT NOT NULL, key TEXT NOT NULL, value_json TEXT, version BIGINT,"
                    + " updated_at_ms BIGINT, PRIMARY KEY (namespace, key))");
            statement.execute("TRUNCATE state");
        }
        String upsert = "INSERT INTO state VALUES ('bench', ?, ?, 1, ?) ON CONFLICT (namespace, key) DO UPDATE SET value_json = EXCLUDED.value_json,"
                + " version = state.version + 1, updated_at_ms = EXCLUDED.updated_at_ms";
        List<LatencyRecorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(clients);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        long[] end = new long[1];
        java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
        for (int client = 0; client < clients; client++) {
            LatencyRecorder recorder = new LatencyRecorder();
            recorders.add(recorder);
            int id = client;
            Thread thread = new Thread(() -> {
                try (Connection connection = DriverManager.getConnection(url, login); PreparedStatement statement = connection.prepareStatement(upsert)) {
                    for (int i = 0; i < 200; i++) {
                        execute(statement, "warm-" + id + "-" + i);
                    }
                    ready.countDown();
                    go.await();
                    for (long i = 0; System.nanoTime() < end[0]; i++) {
                        long t0 = System.nanoTime();
                        execute(statement, "key-" + id + "-" + (i % 10_000));
                        recorder.record(System.nanoTime() - t0);
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    ready.countDown();
                }
            }, "pg-client-" + client);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        long start = System.nanoTime();
        end[0] = start + PHASE_NANOS;
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return LatencyRecorder.summarize(recorders, System.nanoTime() - start);
    }

    private static void execute(PreparedStatement statement, String key) throws java.sql.SQLException {
        statement.setString(1, key);
        statement.setString(2, VALUE);
        statement.setLong(3, System.currentTimeMillis());
        statement.executeUpdate();
    }

    private static LatencyRecorder.Summary jdbcBaseline(Path file) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE state_log (version BIGINT, namespace VARCHAR, key VARCHAR, op TINYINT, value_kind TINYINT,"
                        + " value_json VARCHAR, value_raw BLOB, created_at_ms BIGINT, updated_at_ms BIGINT, expires_at_ms BIGINT)");
            }
            LatencyRecorder recorder = new LatencyRecorder();
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO state_log VALUES (?, 'bench', ?, 1, 1, ?, NULL, ?, ?, 0)")) {
                long start = System.nanoTime();
                long end = start + PHASE_NANOS;
                for (long i = 0; System.nanoTime() < end; i++) {
                    long t0 = System.nanoTime();
                    insert.setLong(1, i);
                    insert.setString(2, "key-" + i);
                    insert.setString(3, VALUE);
                    insert.setLong(4, t0);
                    insert.setLong(5, t0);
                    insert.executeUpdate();
                    recorder.record(System.nanoTime() - t0);
                }
                return LatencyRecorder.summarize(List.of(recorder), System.nanoTime() - start);
            }
        }
    }

    private static java.util.Properties properties(String file) throws java.io.IOException {
        java.util.Properties settings = new java.util.Properties();
        try (var in = Files.newInputStream(Path.of(file))) {
            settings.load(in);
        }
        return settings;
    }

    /**
     * Four loopback channels to the daemon, after the warm-up: on two cores the JIT compilers compete with the writer
     * for a good ten seconds, so the measured workloads run unmeasured first and the phases compare steady states.
     */
    private static List<ManagedChannel> warmedUpChannels(TestingStorageDaemon daemon) throws Exception {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            channels.add(daemon.loopbackChannel());
        }
        warmUp(channels.get(0));
        long warmUpEnd = System.nanoTime() + WARM_UP_NANOS;
        while (System.nanoTime() < warmUpEnd) {
            run(channels, 16, true, TimeUnit.SECONDS.toNanos(2));
            run(channels, 16, false, TimeUnit.SECONDS.toNanos(1));
        }
        return channels;
    }

    private static void warmUp(ManagedChannel channel) {
        var stub = StatePortGrpc.newBlockingStub(channel);
        for (int i = 0; i < 2_000; i++) {
            stub.set(set("warm-" + i));
            stub.get(GetRequest.newBuilder().setNamespace("bench").setKey("warm-" + i).build());
        }
    }

    private static LatencyRecorder.Summary run(List<ManagedChannel> channels, int clients, boolean writes) throws Exception {
        return run(channels, clients, writes, PHASE_NANOS);
    }

    private static LatencyRecorder.Summary run(List<ManagedChannel> channels, int clients, boolean writes, long phaseNanos)
            throws Exception {
        List<LatencyRecorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        for (int c = 0; c < clients; c++) {
            LatencyRecorder recorder = new LatencyRecorder();
            recorders.add(recorder);
            var stub = StatePortGrpc.newBlockingStub(channels.get(c % channels.size()));
            int client = c;
            Thread thread = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long end = window[0] + phaseNanos;
                for (long i = 0; System.nanoTime() < end; i++) {
                    long t0 = System.nanoTime();
                    if (writes) {
                        stub.withDeadlineAfter(30, TimeUnit.SECONDS).set(set("c" + clients + "-" + client + "-" + i));
                    } else {
                        String key = "warm-" + ThreadLocalRandom.current().nextInt(2_000);
                        stub.withDeadlineAfter(30, TimeUnit.SECONDS).get(GetRequest.newBuilder().setNamespace("bench").setKey(key).build());
                    }
                    recorder.record(System.nanoTime() - t0);
                }
            });
            threads.add(thread);
            thread.start();
        }
        ready.await();
        window[0] = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        return LatencyRecorder.summarize(recorders, System.nanoTime() - window[0]);
    }

    private static SetRequest set(String key) {
        return SetRequest.newBuilder().setNamespace("bench").setKey(key).setValue(Value.newBuilder().setJson(VALUE)).build();
    }

    private static void print(String what, int clients, LatencyRecorder.Summary summary) {
        System.out.printf(Locale.ROOT, "%-36s clients=%-3d ops=%-8d ops/s=%-10.0f p50=%.3f ms  p99=%.3f ms%n",
                what, clients, summary.operations(), summary.opsPerSecond(), summary.p50Millis(), summary.p99Millis());
    }
}
