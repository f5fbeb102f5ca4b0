package io.quantbot.sweep.cli;

import io.quantbot.sweep.meta.RunnerBuild;
import picocli.CommandLine;

/** The version from the jar manifest (Implementation-Version), or a development marker when run from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        RunnerBuild build = RunnerBuild.current();
        return new String[] {"sweep-runner " + (version == null ? "development build" : version),
            "git " + build.gitSha() + ("true".equals(build.gitDirty()) ? " (dirty)" : ""),
            "Java " + System.getProperty("java.version")};
    }
}
