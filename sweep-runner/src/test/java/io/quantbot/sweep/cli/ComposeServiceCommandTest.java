package io.quantbot.sweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The compose file's sweep-runner service runs this CLI; Docker cannot run here, so check statically that
 * its command parses with the runner's real options (an option the runner does not have would only fail
 * inside a container) and that it authenticates, as a daemon bound to 0.0.0.0 requires.
 */
class ComposeServiceCommandTest {
    private static final Path COMPOSE = Path.of("..", "docker", "compose.yaml");

    @Test
    void the_compose_sweep_runner_command_parses_with_the_runners_options_and_passes_a_token() throws Exception {
        assertThat(COMPOSE).exists();
        JsonNode service = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(COMPOSE)).path("services").path("sweep-runner");
        assertThat(service.isMissingNode()).as("compose.yaml has a sweep-runner service").isFalse();
        List<String> args = new ArrayList<>();
        service.path("command").forEach(word -> args.add(word.asText()));
        assertThat(args).as("the service's command").isNotEmpty().startsWith("demo").contains("--token-file");

        CommandLine commandLine = SweepRunnerCommand.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        CommandLine.ParseResult parsed = commandLine.parseArgs(args.toArray(String[]::new));

        CommandLine.ParseResult demo = parsed.subcommand();
        assertThat(demo.commandSpec().name()).isEqualTo("demo");
        assertThat(demo.matchedOptionValue("--target", "")).isEqualTo("storage-daemon:50051");
        assertThat(demo.matchedOptionValue("--token-file", (Path) null)).isEqualTo(Path.of("/run/secrets/quantbot_sweeper_token"));
        List<String> secrets = new ArrayList<>();
        service.path("secrets").forEach(secret -> secrets.add(secret.asText()));
        assertThat(secrets).as("the token file is the service's secret").contains("quantbot_sweeper_token");
    }
}
