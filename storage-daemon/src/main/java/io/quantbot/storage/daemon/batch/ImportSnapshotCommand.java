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
 * @param uploaded the folder is an upload the daemon staged itself (UploadSnapshot): it must then lie in
 *     the staging area's uploads folder, and never in an import root
 */
public record ImportSnapshotCommand(Path sourceDir, String snapshotName, boolean dryRun, boolean uploaded) {
    public ImportSnapshotCommand {
        requireNonNull(sourceDir, "sourceDir is null");
        requireNonNull(snapshotName, "snapshotName is null");
    }

    /** A folder in an import root (ImportSnapshot). */
    public ImportSnapshotCommand(Path sourceDir, String snapshotName, boolean dryRun) {
        this(sourceDir, snapshotName, dryRun, false);
    }
}
