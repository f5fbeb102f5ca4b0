package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Load a snapshot folder.
 *
 * @param sourceDir the folder as the client named it: absolute, or relative to an import root; it
 *     must resolve inside an import root
 * @param snapshotName names the snapshot in logical keys and tags
 * @param dryRun validate only, write nothing
 */
public record ImportSnapshotCommand(Path sourceDir, String snapshotName, boolean dryRun) {
    public ImportSnapshotCommand {
        requireNonNull(sourceDir, "sourceDir is null");
        requireNonNull(snapshotName, "snapshotName is null");
    }
}
