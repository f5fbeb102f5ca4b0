package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Publish one file as an artifact.
 *
 * @param schemaVersion 0 = the type's current version
 * @param sourcePath a CSV, Parquet or Arrow IPC file inside an import root (or in the staging folder,
 *     where the daemon puts rows a client streamed); relative paths are taken against the import roots
 * @param format "csv", "parquet", "arrow", or empty to go by the file extension
 */
public record PublishArtifactCommand(String type, int schemaVersion, String logicalKey, Path sourcePath, String format) {
    public PublishArtifactCommand {
        requireNonNull(type, "type is null");
        requireNonNull(logicalKey, "logicalKey is null");
        requireNonNull(sourcePath, "sourcePath is null");
        requireNonNull(format, "format is null");
    }
}
