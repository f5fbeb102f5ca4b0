package io.quantbot.spark;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.sweep.cli.SweepRunnerCommand;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.spec.CandleInterval;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One real daemon for this module's tests (production modules, loopback gRPC, two real Python workers for
 * ImportSnapshot and AnalyzeSweep), with a snapshot imported as {@code demo} so that the repository's demo sweep file
 * runs unchanged: a smaller one than the demo command's (60 tokens, 600 calls) to keep Spark test time modest.
 */
final class TestDaemon {
    static final int CALLS = 600;
    static final Path DEMO_SPEC = Path.of("..", "sweep-runner", "examples", "demo-sweep.yaml").toAbsolutePath().normalize();
    private static TestDaemon instance;

    final TestingStorageDaemon daemon;
    final QuantbotStorageClient client;

    private TestDaemon(TestingStorageDaemon daemon) {
        this.daemon = daemon;
        this.client = QuantbotStorageClient.builder().target(target()).coarseDeadline(Duration.ofMinutes(3)).build();
    }

    static synchronized TestDaemon get() throws Exception {
        if (instance == null) {
            Path dataDir = Files.createTempDirectory("sweep-spark-test-");
            TestingStorageDaemon daemon = TestingStorageDaemon.builder()
                    .onDisk(dataDir)
                    .set("python-worker.pool-size", "2")
                    .set("python-worker.python", TestingStorageDaemon.PYTHON.toString())
                    .set("log.access", "off")
                    .build();
            instance = new TestDaemon(daemon);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                instance.client.close();
                daemon.close();
                daemon.deleteDataDir();
            }, "spark-test-daemon-stop"));
            Await.until("the test daemon's worker pool warm", Duration.ofMinutes(2), () -> {
                var info = instance.client.artifacts().getServerInfo();
                return info.getWorkerPoolSize() > 0 && info.getWorkersReady() == info.getWorkerPoolSize();
            });
            Path folder = dataDir.resolve("imports").resolve("demo");
            new SnapshotGenerator(new SnapshotOptions(60, 3, CALLS, 12, 42L, SnapshotOptions.DEFAULT_START_MILLIS,
                    List.of(CandleInterval.ONE_MINUTE))).generate(folder);
            ImportSnapshotResponse imported = instance.client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder()
                    .setSourceDir(folder.toString())
                    .setSnapshotName("demo")
                    .build());
            if (imported.getCallRows() != CALLS) {
                throw new IllegalStateException("imported " + imported.getCallRows() + " calls, expected " + CALLS);
            }
        }
        return instance;
    }

    String target() {
        return "127.0.0.1:" + daemon.grpcPort();
    }

    long spawnCount() {
        return client.artifacts().getServerInfo().getWorkerSpawnCount();
    }

    /** The runner's command line in this JVM (as {@code java -jar sweep-runner.jar ARGS} with sweep-spark on the classpath). */
    static Outcome cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SweepRunnerCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Outcome(code, out.toString(), err.toString());
    }

    record Outcome(int code, String out, String err) {}
}
