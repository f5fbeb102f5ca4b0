package io.quantbot.sweep.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResumeCommandTest {
    @Test
    void repeats_the_arguments_and_pins_the_sweep_id() {
        String command = ResumeCommand.of(List.of("run", "my sweep.yaml", "--target", "127.0.0.1:50051"), "sw-0123456789ab", null);
        assertThat(command).startsWith("java ")
                .endsWith(" run 'my sweep.yaml' --target 127.0.0.1:50051 --sweep-id sw-0123456789ab");
    }

    @Test
    void an_explicit_sweep_id_is_not_repeated() {
        assertThat(ResumeCommand.of(List.of("demo", "--sweep-id=demo-1"), "demo-1")).endsWith(" demo --sweep-id=demo-1");
        assertThat(ResumeCommand.of(List.of("demo", "--sweep-id", "demo-1"), "demo-1", null)).endsWith(" demo --sweep-id demo-1");
    }

    @Test
    void the_demo_script_stands_for_the_jar_and_its_subcommand_so_the_resume_line_restarts_the_daemon_too() {
        assertThat(ResumeCommand.of(List.of("demo", "--top", "5"), "demo-20261126-101010", "bash sweep-runner/bin/demo"))
                .isEqualTo("bash sweep-runner/bin/demo --top 5 --sweep-id demo-20261126-101010");
        assertThat(ResumeCommand.of(List.of("demo", "--sweep-id", "demo-1"), "demo-1", "  "))
                .startsWith("java ").endsWith(" demo --sweep-id demo-1");
    }

    @Test
    void quotes_what_a_shell_would_split_or_expand() {
        assertThat(ResumeCommand.quote("plain/path-1.yaml")).isEqualTo("plain/path-1.yaml");
        assertThat(ResumeCommand.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ResumeCommand.quote("$HOME")).isEqualTo("'$HOME'");
        assertThat(ResumeCommand.quote("")).isEqualTo("''");
    }
}
