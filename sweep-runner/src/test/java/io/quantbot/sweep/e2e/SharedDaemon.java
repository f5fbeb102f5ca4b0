package io.quantbot.sweep.e2e;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.spec.CandleInterval;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One real daemon for the module's end-to-end tests: the production modules on disk, loopback gRPC and two
 * real Python workers (what ImportSnapshot, Query, AnalyzeSweep and GenerateReport run on). Started once
 * per test JVM, because workers take seconds to start; tests keep apart by sweep id and snapshot name.
 */
final class SharedDaemon {
    private static SharedDaemon instance;

    private final TestingStorageDaemon daemon;
    private final QuantbotStorageClient client;

    private SharedDaemon(TestingStorageDaemon daemon) {
        this.daemon = daemon;
        this.client = QuantbotStorageClient.builder().target(target(daemon)).coarseDeadline(Duration.ofMinutes(3)).build();
    }

    static synchronized SharedDaemon get() throws Exception {
        if (instance == null) {
            Path dataDir = Files.createTempDirectory("sweep-runner-e2e-");
            TestingStorageDaemon daemon = TestingStorageDaemon.builder()
                    .onDisk(dataDir)
                    .set("python-worker.pool-size", "2")
                    .set("python-worker.python", TestingStorageDaemon.PYTHON.toString())
                    .set("log.access", "off")
                    .build();
            instance = new SharedDaemon(daemon);
            instance.awaitWarmPool();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                instance.client.close();
                daemon.close();
                daemon.deleteDataDir();
            }, "e2e-daemon-stop"));
        }
        return instance;
    }

    private static String target(TestingStorageDaemon daemon) {
        return "127.0.0.1:" + daemon.grpcPort();
    }

    String target() {
        return target(daemon);
    }

    QuantbotStorageClient client() {
        return client;
    }

    Path dataDir() {
        return daemon.dataDir();
    }

    /**
     * Waits (a condition, capped) until every worker of the pool has started, so that tests comparing spawn counts
     * before and after a sweep do not count the pool's own start-up (a test that ran first saw 1 then 2).
     */
    private void awaitWarmPool() throws InterruptedException {
        Await.until("the e2e daemon's worker pool warm", Duration.ofMinutes(2), () -> {
            var info = client.artifacts().getServerInfo();
            return info.getWorkerPoolSize() > 0 && info.getWorkersReady() == info.getWorkerPoolSize();
        });
    }

    /** gRPC calls of one method (e.g. {@code quantbot.storage.v1.ArtifactPort/CreateRun}) the daemon served so far, any outcome. */
    long calls(String method) {
        return (long) daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class).find("quantbot.grpc.server.calls")
                .tag("method", method).timers().stream().mapToLong(io.micrometer.core.instrument.Timer::count).sum();
    }

    long spawnCount() {
        return client.artifacts().getServerInfo().getWorkerSpawnCount();
    }

    /** Generates a snapshot into the daemon's import root (once per name) and imports it under that name. */
    synchronized Path importSnapshot(String name, int tokens, int days, int calls, int callers, long seed) throws Exception {
        Path folder = dataDir().resolve("imports").resolve(name);
        if (!Files.exists(folder)) {
            new SnapshotGenerator(new SnapshotOptions(tokens, days, calls, callers, seed, SnapshotOptions.DEFAULT_START_MILLIS,
                    List.of(CandleInterval.ONE_MINUTE))).generate(folder);
            ImportSnapshotResponse imported = client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder()
                    .setSourceDir(folder.toString())
                    .setSnapshotName(name)
                    .build());
            if (imported.getCallRows() != calls) {
                throw new IllegalStateException("imported " + imported.getCallRows() + " calls, expected " + calls);
            }
        }
        return folder;
    }
}
