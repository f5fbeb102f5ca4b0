package io.quantbot.storage.daemon.cli;

import java.util.Map;
import picocli.CommandLine;

/** Lets tests in other packages drive the daemon's command line with a chosen environment. */
public final class DaemonCommandAccess {
    private DaemonCommandAccess() {}

    public static CommandLine commandLine(Map<String, String> environment) {
        return DaemonCommand.commandLine(environment);
    }
}
