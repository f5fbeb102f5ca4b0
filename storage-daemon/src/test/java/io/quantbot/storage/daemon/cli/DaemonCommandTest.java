package io.quantbot.storage.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DaemonCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> environment, String... args) {
        CommandLine commandLine = DaemonCommand.commandLine(environment);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void helpAndVersionOnEveryCommandExitZero() {
        for (String[] args : new String[][] {{"--help"}, {"--version"}, {"serve", "--help"}, {"config", "--help"}, {"config", "print", "--help"},
                {"config", "check", "--help"}, {"config", "print", "--version"}}) {
            assertThat(run(Map.of(), args)).as(String.join(" ", args)).isZero();
        }
        assertThat(out.toString()).contains("Exit codes:").contains("quantbot-storage-daemon");
    }

    @Test
    void usageErrorsGoToStderrWithExitCode2() {
        assertThat(run(Map.of(), "--no-such-flag")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void configPrintShowsEveryValueAndItsOrigin() {
        assertThat(run(Map.of("QUANTBOT_HTTP_PORT", "9999"), "config", "print", "--grpc-port", "6000", "--set", "state.max-key-length=64")).isZero();
        String table = out.toString();
        assertThat(table).containsPattern("grpc\\.port\\s+6000\\s+flag");
        assertThat(table).containsPattern("http\\.port\\s+9999\\s+env:QUANTBOT_HTTP_PORT");
        assertThat(table).containsPattern("state\\.max-key-length\\s+64\\s+flag");
        assertThat(table).containsPattern("data-dir\\s+\\./data\\s+default");
    }

    @Test
    void configPrintJsonAndCsv() {
        assertThat(run(Map.of(), "config", "print", "--output", "json")).isZero();
        assertThat(out.toString()).contains("\"key\": \"grpc.port\", \"value\": \"50051\", \"origin\": \"default\", \"env\": \"QUANTBOT_GRPC_PORT\"");
        out.getBuffer().setLength(0);
        assertThat(run(Map.of(), "config", "print", "--output", "csv")).isZero();
        assertThat(out.toString()).startsWith("key,value,origin,env,default").contains("grpc.port,50051,default,QUANTBOT_GRPC_PORT,50051");
        assertThat(run(Map.of(), "config", "print", "--output", "xml")).isEqualTo(2);
    }

    @Test
    void configCheckReportsEveryProblem() throws Exception {
        Path good = Files.writeString(dir.resolve("good.properties"), "# comment\ngrpc.port = 6001\nstate.max-value-size = 2MiB\n");
        assertThat(run(Map.of(), "config", "check", good.toString())).isZero();
        assertThat(out.toString()).contains("ok");
        Path bad = Files.writeString(dir.resolve("bad.properties"), "grpc.port = x\nstate.max-valu-size = 2MiB\n");
        assertThat(run(Map.of(), "config", "check", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("2 problem(s)").contains("grpc.port").contains("did you mean 'state.max-value-size'");
        assertThat(run(Map.of(), "config", "check", dir.resolve("missing").toString())).isEqualTo(2);
    }

    /**
     * storage.mode picks the engine. Cluster mode needs its keys: config check and serve name every missing one (exit 2,
     * nothing started), refuse a password given as a flag or in the config file, and accept a complete configuration.
     */
    @Test
    void storageModeEmbeddedIsTheDefaultAndClusterNeedsItsKeys() throws Exception {
        Path embedded = Files.writeString(dir.resolve("embedded.properties"), "storage.mode = embedded\n");
        assertThat(run(Map.of(), "config", "check", embedded.toString())).isZero();
        Path bare = Files.writeString(dir.resolve("cluster.properties"), "storage.mode = cluster\n");
        assertThat(run(Map.of(), "config", "check", bare.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("4 problem(s)",
                "storage.mode is cluster, so cluster.postgres-url must be set",
                "storage.mode is cluster, so cluster.postgres-user must be set",
                "storage.mode is cluster, so the PostgreSQL password must be given: set cluster.postgres-password-file (a file holding it)"
                        + " or the environment variable QUANTBOT_CLUSTER_POSTGRES_PASSWORD",
                "storage.mode is cluster, so cluster.warehouse must be set");
        assertThat(run(Map.of("QUANTBOT_STORAGE_MODE", "cluster", "QUANTBOT_DATA_DIR", dir.resolve("data").toString()), "serve")).isEqualTo(2);
        assertThat(dir.resolve("data")).doesNotExist();
        assertThat(run(Map.of(), "config", "check", Files.writeString(dir.resolve("typo.properties"), "storage.mode = postgres\n").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("not a storage mode (embedded or cluster): 'postgres'");

        Path secret = Files.writeString(dir.resolve("pg.secret"), "s3cret-Pa55word\n");
        String complete = "storage.mode = cluster\ncluster.postgres-url = jdbc:postgresql://127.0.0.1:5432/quantbot\n"
                + "cluster.postgres-user = quantbot\ncluster.warehouse = " + dir.resolve("warehouse").toUri() + "\n";
        Path withFile = Files.writeString(dir.resolve("complete.properties"), complete + "cluster.postgres-password-file = " + secret + "\n");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "config", "check", withFile.toString())).as(err.toString()).isZero();
        Path withoutPassword = Files.writeString(dir.resolve("env.properties"), complete);
        assertThat(run(Map.of("QUANTBOT_CLUSTER_POSTGRES_PASSWORD", "s3cret-Pa55word"), "config", "check", withoutPassword.toString()))
                .as(err.toString()).isZero();
        out.getBuffer().setLength(0);
        assertThat(run(Map.of("QUANTBOT_CLUSTER_POSTGRES_PASSWORD", "s3cret-Pa55word"), "config", "print", "--config", withoutPassword.toString()))
                .isZero();
        assertThat(out.toString()).contains("cluster.postgres-password").doesNotContain("s3cret-Pa55word");

        err.getBuffer().setLength(0);
        assertThat(run(Map.of("QUANTBOT_DATA_DIR", dir.resolve("data").toString()), "serve", "--config", withoutPassword.toString(), "--set",
                "cluster.postgres-password=s3cret-Pa55word")).isEqualTo(2);
        assertThat(err.toString()).contains("cluster.postgres-password (from flag) is refused there").doesNotContain("s3cret-Pa55word");
        assertThat(dir.resolve("data")).doesNotExist();
        Path inFile = Files.writeString(dir.resolve("infile.properties"), complete + "cluster.postgres-password = s3cret-Pa55word\n");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "config", "check", inFile.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("cluster.postgres-password (from file:").contains("is refused there").doesNotContain("s3cret-Pa55word");

        Path s3 = Files.writeString(dir.resolve("s3.properties"), complete.replace(dir.resolve("warehouse").toUri().toString(), "s3://bucket/lake")
                + "cluster.postgres-password-file = " + secret + "\n");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "config", "check", s3.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("cluster.warehouse (from file:", "s3:// warehouses are documented but not built yet");
        Path badUrl = Files.writeString(dir.resolve("url.properties"), complete.replace("jdbc:postgresql://", "jdbc:mysql://")
                + "cluster.postgres-password-file = " + dir.resolve("missing.secret") + "\n");
        err.getBuffer().setLength(0);
        assertThat(run(Map.of(), "config", "check", badUrl.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("must start with jdbc:postgresql://", "missing.secret does not exist");
    }

    /** Issue 10 item 6: one validation for serve and config check, every problem listed once, nothing started. */
    @Test
    void serveAndConfigCheckRefuseTheSameBadValuesAndListEachProblemOnce() throws Exception {
        Path file = Files.writeString(dir.resolve("many.properties"), String.join("\n",
                "python-worker.pool-size = -3",
                "grpc.executor-threads = 0",
                "state.max-page-size = -1",
                "grpc.host = 0.0.0.0",
                "runs.max-rows-per-chunk = 0",
                "runs.max-batch = 0",
                "candles.max-batch = 0",
                "group-commit.max-batch = 0",
                "duckdb.checkpoint-interval = 0",
                "tls.cert-file = " + dir.resolve("no-such-cert.pem"),
                "") + "\n");
        List<String> expectedKeys = List.of("python-worker.pool-size", "grpc.executor-threads", "state.max-page-size", "grpc.host",
                "runs.max-rows-per-chunk", "runs.max-batch", "candles.max-batch", "group-commit.max-batch", "duckdb.checkpoint-interval", "tls.cert-file");

        assertThat(run(Map.of(), "config", "check", file.toString())).isEqualTo(2);
        List<String> checked = problemLines();
        assertThat(out.toString()).doesNotContain("ok");
        err.getBuffer().setLength(0);

        Path dataDir = dir.resolve("data");
        assertThat(run(Map.of(), "serve", "--config", file.toString(), "--data-dir", dataDir.toString(), "--grpc-port", "0", "--http-port", "0"))
                .isEqualTo(2);
        List<String> served = problemLines();

        assertThat(served).as("serve and config check list the same problems").containsExactlyElementsOf(checked);
        assertThat(served).doesNotHaveDuplicates();
        for (String key : expectedKeys) {
            assertThat(served).as(key).filteredOn(line -> line.startsWith("  " + key)
                    || line.startsWith("  tls.cert-file and") && key.equals("tls.cert-file")).isNotEmpty();
        }
        assertThat(served).anySatisfy(line -> assertThat(line).contains("state.max-page-size").contains("at least 1").contains("'-1'"));
        assertThat(served).anySatisfy(line -> assertThat(line).contains("not a loopback address"));
        assertThat(dataDir).as("nothing was started").doesNotExist();
    }

    @Test
    void serveListsEveryProblemOfFlagsAndEnvironmentToo() {
        assertThat(run(Map.of("QUANTBOT_STATE_MAX_BATCH_SIZE", "0"), "serve", "--data-dir", dir.resolve("d").toString(),
                "--set", "grpc.executor-threads=0", "--set", "python-worker.pool-size=-3")).isEqualTo(2);
        assertThat(problemLines()).containsExactlyInAnyOrder(
                "  grpc.executor-threads (from flag) must be at least 1, got '0'",
                "  state.max-batch-size (from env:QUANTBOT_STATE_MAX_BATCH_SIZE) must be at least 1, got '0'",
                "  python-worker.pool-size must be between 0 and 64, got -3");
    }

    private List<String> problemLines() {
        return err.toString().lines().filter(line -> line.startsWith("  ")).toList();
    }

    @Test
    void configFileFromEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("env.properties"), "grpc.port = 7001\n");
        assertThat(run(Map.of("QUANTBOT_CONFIG", file.toString()), "config", "print")).isZero();
        assertThat(out.toString()).containsPattern("grpc\\.port\\s+7001\\s+file:" + java.util.regex.Pattern.quote(file.toString()));
    }
}
