package io.quantbot.sweep.cli;

import picocli.CommandLine;

/** The version from the jar manifest (Implementation-Version), or a development marker when run from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"sweep-runner " + (version == null ? "development build" : version),
            "Java " + System.getProperty("java.version")};
    }
}
