package io.quantbot.sweep.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 9: the live bar is chosen by whether stderr (where progress goes) is a terminal, not
 * stdout. A real pseudo-terminal from util-linux's {@code script}, with one of the two streams redirected.
 */
class ProgressFollowsStderrTest {
    @TempDir
    Path dir;

    private String probe(String redirect) throws Exception {
        Path out = dir.resolve("out-" + System.nanoTime() + ".txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "'" + java + "' -cp '" + System.getProperty("java.class.path") + "' " + ProgressModeProbe.class.getName() + " "
                + redirect.replace("OUT", "'" + out + "'");
        Process process;
        try {
            process = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("script.log").toFile()).start();
        } catch (IOException e) {
            Assumptions.assumeTrue(!"true".equals(System.getenv("CI")), "util-linux script is missing in CI");
            Assumptions.abort("util-linux script (a pseudo-terminal) is not installed: " + e.getMessage());
            throw e;
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String log = Files.readString(dir.resolve("script.log"), StandardCharsets.UTF_8);
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        return String.join("\n", lines) + log;
    }

    @Test
    void stdoutToAFileKeepsTheBarOnTheTerminal() throws Exception {
        // run spec.yaml > leaderboards.txt: stderr is still the terminal.
        assertThat(probe("> OUT")).contains("mode=TERMINAL");
    }

    @Test
    void stderrToAFileGetsPlainLinesEvenWhenStdoutIsATerminal() throws Exception {
        // run spec.yaml 2> progress.log: no escape codes in the log (the answer comes back through the terminal).
        assertThat(probe("2> OUT")).contains("mode=PLAIN");
    }
}
