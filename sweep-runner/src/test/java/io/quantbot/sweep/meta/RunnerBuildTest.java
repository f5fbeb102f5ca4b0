package io.quantbot.sweep.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunnerBuildTest {
    private static final Path SCRIPT = Path.of("build-info.sh").toAbsolutePath();

    @TempDir
    Path temporary;

    private Properties runScript(Path script, Path out) throws Exception {
        Process process = new ProcessBuilder("bash", script.toString(), out.toString(), "9.9.9")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        Properties properties = new Properties();
        try (var in = Files.newInputStream(out)) {
            properties.load(in);
        }
        return properties;
    }

    @Test
    void the_build_records_the_checkout_commit() throws Exception {
        RunnerBuild build = RunnerBuild.current();
        // Built by Maven: the resource is on the class path (not the development fallback).
        assertThat(build.version()).isNotEqualTo("development build").doesNotContain("${");
        Process git = new ProcessBuilder("git", "-C", SCRIPT.getParent().toString(), "rev-parse", "HEAD")
                .redirectErrorStream(true).start();
        String head = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (git.waitFor() == 0) {
            // The classes may predate the newest commit; the sha is a full commit id either way.
            assertThat(build.gitSha()).matches("[0-9a-f]{40}");
            assertThat(build.gitDirty()).isIn("true", "false");
            assertThat(head).matches("[0-9a-f]{40}");
        }
    }

    @Test
    void a_build_without_git_metadata_says_unknown() throws Exception {
        // A tarball: the script outside any repository.
        Path script = Files.copy(SCRIPT, temporary.resolve("build-info.sh"));
        Properties properties = runScript(script, temporary.resolve("out/runner-build.properties"));

        assertThat(properties.getProperty("version")).isEqualTo("9.9.9");
        assertThat(properties.getProperty("git.sha")).isEqualTo("unknown");
        assertThat(properties.getProperty("git.dirty")).isEqualTo("unknown");
    }

    @Test
    void a_tarball_unpacked_inside_another_repository_does_not_take_its_commit() throws Exception {
        Process init = new ProcessBuilder("git", "init", "-q", temporary.toString()).redirectErrorStream(true).start();
        if (init.waitFor() != 0) {
            assertThat(System.getenv("CI")).as("git is needed for this test in CI").isNotEqualTo("true");
            return;
        }
        Path script = Files.copy(SCRIPT, temporary.resolve("build-info.sh"));
        Properties properties = runScript(script, temporary.resolve("out.properties"));

        assertThat(properties.getProperty("git.sha")).isEqualTo("unknown");
    }

    @Test
    void parse_and_describe() throws IOException {
        RunnerBuild build = RunnerBuild.parse(new ByteArrayInputStream(
                "version=1.2.3\ngit.sha=0123456789abcdef0123456789abcdef01234567\ngit.dirty=true\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(build.describe()).isEqualTo("1.2.3 (git 0123456789ab, dirty)");
        assertThat(RunnerBuild.parse(new ByteArrayInputStream(new byte[0])).describe()).isEqualTo("unknown (git unknown)");
    }
}
