package io.quantbot.storage.daemon.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * A test that needs an external tool (promtool, node/npm, the npm registry) skips without it on a developer's
 * machine, with the reason, but fails under {@code CI=true}: .ci/run installs every tool, so a skip there would
 * hide a test that never ran.
 */
public final class ToolRequirement {
    private ToolRequirement() {}

    /** Skips (locally) or fails (CI=true) with {@code reason} unless {@code available}. */
    public static void require(boolean available, String reason) {
        require(System.getenv(), available, reason);
    }

    static void require(Map<String, String> environment, boolean available, String reason) {
        if (available) {
            return;
        }
        if (inCi(environment)) {
            throw new AssertionError("CI=true, so this test may not skip: " + reason + " (.ci/run's tools section provides it)");
        }
        throw new TestAbortedException("skipped: " + reason + " (under CI=true this fails)");
    }

    static boolean inCi(Map<String, String> environment) {
        String ci = environment.get("CI");
        return ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
    }

    /** True when {@code program} is an executable file in a directory of PATH. */
    public static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }
}
