package io.quantbot.sweep.meta;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What the runner was built from: its version and the git commit of the checkout (written at build time by
 * sweep-runner/build-info.sh; {@code unknown} when built from a tarball without .git, and a development marker
 * when run from classes that never went through the build).
 *
 * @param gitDirty "true" / "false" (uncommitted changes to tracked files at build time) or "unknown"
 */
public record RunnerBuild(String version, String gitSha, String gitDirty) {
    static final String RESOURCE = "runner-build.properties";
    public static final String UNKNOWN = "unknown";

    public RunnerBuild {
        requireNonNull(version, "version is null");
        requireNonNull(gitSha, "gitSha is null");
        requireNonNull(gitDirty, "gitDirty is null");
    }

    /** The build facts on the class path. */
    public static RunnerBuild current() {
        try (InputStream in = RunnerBuild.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return new RunnerBuild("development build", UNKNOWN, UNKNOWN);
            }
            return parse(in);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static RunnerBuild parse(InputStream in) throws IOException {
        Properties properties = new Properties();
        properties.load(in);
        return new RunnerBuild(properties.getProperty("version", UNKNOWN), properties.getProperty("git.sha", UNKNOWN),
                properties.getProperty("git.dirty", UNKNOWN));
    }

    /** {@code 0.1.0-SNAPSHOT (git 1a2b3c4d5e6f, dirty)} or {@code 0.1.0 (git unknown)}. */
    public String describe() {
        String sha = gitSha.length() > 12 ? gitSha.substring(0, 12) : gitSha;
        return version + " (git " + sha + ("true".equals(gitDirty) ? ", dirty" : "") + ")";
    }
}
