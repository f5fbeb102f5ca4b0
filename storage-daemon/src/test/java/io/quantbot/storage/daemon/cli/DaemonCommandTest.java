package io.quantbot.storage.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void configFileFromEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("env.properties"), "grpc.port = 7001\n");
        assertThat(run(Map.of("QUANTBOT_CONFIG", file.toString()), "config", "print")).isZero();
        assertThat(out.toString()).containsPattern("grpc\\.port\\s+7001\\s+file:" + java.util.regex.Pattern.quote(file.toString()));
    }
}
