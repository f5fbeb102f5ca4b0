package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A finished file waiting in the staging folder (written to a temporary name, fsynced, renamed) with
 * everything the catalog needs to register it. extension is "parquet" or "html". sealedRunIds names the runs a run_results
 * seal holds (empty otherwise): in cluster mode the catalog registers the seal only if this daemon still owns every one
 * of them, in the same transaction that marks them sealed, so a run declared lost is never sealed too.
 */
public record StagedArtifact(
        Path stagedFile,
        String extension,
        String type,
        int schemaVersion,
        String logicalKey,
        String fileHash,
        String contentHash,
        long rowCount,
        long sizeBytes,
        long minTsMs,
        long maxTsMs,
        List<ColumnSpec> columns,
        Map<String, String> tags,
        List<String> inputIds,
        Provenance provenance,
        boolean supersedeExisting,
        List<String> sealedRunIds) {

    public StagedArtifact {
        requireNonNull(stagedFile, "stagedFile is null");
        requireNonNull(extension, "extension is null");
        requireNonNull(type, "type is null");
        requireNonNull(logicalKey, "logicalKey is null");
        requireNonNull(fileHash, "fileHash is null");
        requireNonNull(contentHash, "contentHash is null");
        columns = List.copyOf(columns);
        tags = Map.copyOf(tags);
        inputIds = List.copyOf(inputIds);
        requireNonNull(provenance, "provenance is null");
        sealedRunIds = List.copyOf(sealedRunIds);
    }

    /** An artifact that seals no runs (a publish, a batch operation's output). */
    public StagedArtifact(Path stagedFile, String extension, String type, int schemaVersion, String logicalKey, String fileHash, String contentHash,
            long rowCount, long sizeBytes, long minTsMs, long maxTsMs, List<ColumnSpec> columns, Map<String, String> tags, List<String> inputIds,
            Provenance provenance, boolean supersedeExisting) {
        this(stagedFile, extension, type, schemaVersion, logicalKey, fileHash, contentHash, rowCount, sizeBytes, minTsMs, maxTsMs, columns, tags,
                inputIds, provenance, supersedeExisting, List.of());
    }

    public StagedArtifact withMetadata(Map<String, String> moreTags, List<String> inputs, Provenance origin, boolean supersede) {
        java.util.Map<String, String> merged = new java.util.LinkedHashMap<>(tags);
        merged.putAll(moreTags);
        return new StagedArtifact(stagedFile, extension, type, schemaVersion, logicalKey, fileHash, contentHash, rowCount, sizeBytes, minTsMs,
                maxTsMs, columns, merged, inputs, origin, supersede, sealedRunIds);
    }
}
