package io.quantbot.sweep.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.spec.CandleInterval;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner against a daemon that requires bearer tokens (what the compose service does): the token from
 * --token-file or QUANTBOT_TOKEN_FILE gets the sweep through; no token, a read-only token or an unreadable
 * file each stop it with exit 2 and a message that says what to pass.
 */
@Tag("python")
class AuthenticatedSweepTest {
    private static final String WRITER_TOKEN = "sweeper-secret-token-0123456789";
    private static final String READER_TOKEN = "viewer-secret-token-0123456789";

    private static TestingStorageDaemon daemon;
    private static String target;

    @TempDir
    Path temporary;

    @BeforeAll
    static void startDaemon() throws Exception {
        Path dataDir = Files.createTempDirectory("sweep-runner-auth-");
        daemon = TestingStorageDaemon.builder()
                .onDisk(dataDir)
                .set("auth.tokens", "sweeper:write:" + WRITER_TOKEN + ",viewer:read:" + READER_TOKEN)
                .set("python-worker.pool-size", "1")
                .set("python-worker.python", TestingStorageDaemon.PYTHON.toString())
                .set("log.access", "off")
                .build();
        target = "127.0.0.1:" + daemon.grpcPort();
        Path folder = dataDir.resolve("imports").resolve("auth");
        new SnapshotGenerator(new SnapshotOptions(4, 1, 8, 2, 3, SnapshotOptions.DEFAULT_START_MILLIS,
                List.of(CandleInterval.ONE_MINUTE))).generate(folder);
        try (QuantbotStorageClient client = QuantbotStorageClient.builder().target(target).bearerToken(WRITER_TOKEN)
                .coarseDeadline(Duration.ofMinutes(2)).build()) {
            client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(folder.toString())
                    .setSnapshotName("auth").build());
        }
    }

    @AfterAll
    static void stopDaemon() {
        if (daemon != null) {
            daemon.close();
            daemon.deleteDataDir();
        }
    }

    private Path spec(String sweepId) throws Exception {
        return Sweeps.writeSpec(temporary, sweepId, """
                sweep_id: %s
                calls: {snapshot: auth}
                intervals: [1m]
                entry_lags: [0s]
                time_frame: 6h
                parallelism: 1
                overlay_sets:
                  - {name: tp50_sl20, overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]}
                """.formatted(sweepId));
    }

    private Path tokenFile(String token) throws Exception {
        Path file = temporary.resolve("token-" + token.hashCode());
        Files.writeString(file, token + "\n");
        return file;
    }

    @Test
    void a_write_token_from_the_token_file_runs_the_sweep() throws Exception {
        Sweeps.Result result = Sweeps.run("run", spec("auth-ok").toString(), "--target", target, "--no-progress",
                "--no-report", "--token-file", tokenFile(WRITER_TOKEN).toString());

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.err()).contains("1 scenarios × 8 calls = 8 backtests").contains("python worker spawns during sweep: 0");
    }

    @Test
    void without_a_token_the_runner_says_to_pass_one_and_exits_2() throws Exception {
        Sweeps.Result result = Sweeps.run("run", spec("auth-none").toString(), "--target", target, "--no-progress");

        assertThat(result.code()).as(result.err()).isEqualTo(2);
        assertThat(result.err()).contains("--token-file").contains("QUANTBOT_TOKEN");
    }

    @Test
    void a_read_only_token_is_refused_the_writes_and_exits_2() throws Exception {
        Sweeps.Result result = Sweeps.run("run", spec("auth-reader").toString(), "--target", target, "--no-progress",
                "--token-file", tokenFile(READER_TOKEN).toString());

        assertThat(result.code()).as(result.err()).isEqualTo(2);
        assertThat(result.err()).contains("write role");
    }

    @Test
    void an_unreadable_or_empty_token_file_is_a_usage_error_before_any_call() throws Exception {
        Sweeps.Result missing = Sweeps.run("run", spec("auth-missing").toString(), "--target", target,
                "--token-file", temporary.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--token-file").contains("cannot read the bearer token file");

        Sweeps.Result empty = Sweeps.run("run", spec("auth-empty").toString(), "--target", target,
                "--token-file", tokenFile(" ").toString());
        assertThat(empty.code()).isEqualTo(2);
        assertThat(empty.err()).contains("is empty");
    }
}
