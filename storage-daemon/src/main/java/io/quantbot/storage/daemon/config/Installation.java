package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the daemon is installed, so that defaults such as the worker's Python do not depend on the
 * directory the daemon was started from. The home is the folder of storage-daemon.jar, except in a
 * source checkout (a jar or class folder under {@code <checkout>/storage-daemon/target/}), whose home is
 * the checkout: {@code python-worker/.venv} sits there.
 *
 * @param home the folder relative defaults of installation files are resolved against
 * @param workingDirectory the folder every other relative path is resolved against
 */
public record Installation(Path home, Path workingDirectory) {
    public Installation {
        requireNonNull(home, "home is null");
        requireNonNull(workingDirectory, "workingDirectory is null");
        home = home.toAbsolutePath().normalize();
        workingDirectory = workingDirectory.toAbsolutePath().normalize();
    }

    /** The installation of the running code, with the process's working directory. */
    public static Installation detect() {
        return new Installation(homeOf(codeLocation()), Path.of("").toAbsolutePath());
    }

    /** The home of code loaded from {@code location} (a jar, or a folder of classes). */
    static Path homeOf(Path location) {
        Path folder = Files.isDirectory(location) ? location : location.toAbsolutePath().getParent();
        folder = folder.toAbsolutePath().normalize();
        // A source checkout: <checkout>/storage-daemon/target/storage-daemon.jar or .../target/classes.
        Path target = folder.getFileName() != null && folder.getFileName().toString().equals("classes") ? folder.getParent() : folder;
        if (target != null && target.getFileName() != null && target.getFileName().toString().equals("target")) {
            Path module = target.getParent();
            if (module != null && module.getParent() != null && Files.isDirectory(module.resolve("src"))) {
                return module.getParent();
            }
        }
        return folder;
    }

    private static Path codeLocation() {
        try {
            return Path.of(Installation.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("").toAbsolutePath();
        }
    }
}
