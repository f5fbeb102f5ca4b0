package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One registered artifact. Paths are relative to the data dir. minTsMs/maxTsMs are 0 when the type
 * has no time column. supersededBy is empty unless the status is SUPERSEDED.
 */
public record ArtifactRecord(
        String id,
        String type,
        int schemaVersion,
        String logicalKey,
        ArtifactStatus status,
        String path,
        String sidecarPath,
        String fileHash,
        String contentHash,
        long rowCount,
        long sizeBytes,
        long minTsMs,
        long maxTsMs,
        long createdAtMs,
        Map<String, String> tags,
        List<String> inputIds,
        Optional<String> supersededBy,
        Provenance provenance,
        List<ColumnSpec> columns) {

    public ArtifactRecord {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        requireNonNull(logicalKey, "logicalKey is null");
        requireNonNull(status, "status is null");
        requireNonNull(path, "path is null");
        requireNonNull(sidecarPath, "sidecarPath is null");
        requireNonNull(fileHash, "fileHash is null");
        requireNonNull(contentHash, "contentHash is null");
        tags = Map.copyOf(tags);
        inputIds = List.copyOf(inputIds);
        requireNonNull(supersededBy, "supersededBy is null");
        requireNonNull(provenance, "provenance is null");
        columns = List.copyOf(columns);
    }

    public ArtifactRecord withStatus(ArtifactStatus newStatus, Optional<String> replacement) {
        return new ArtifactRecord(id, type, schemaVersion, logicalKey, newStatus, path, sidecarPath, fileHash, contentHash, rowCount,
                sizeBytes, minTsMs, maxTsMs, createdAtMs, tags, inputIds, replacement, provenance, columns);
    }

    public boolean isActive() {
        return status == ArtifactStatus.ACTIVE;
    }

    /** Whether [minTsMs, maxTsMs] overlaps [fromMs, toMs); 0 bounds are open. */
    public boolean overlaps(long fromMs, long toMs) {
        if (fromMs == 0 && toMs == 0) {
            return true;
        }
        if (minTsMs == 0 && maxTsMs == 0) {
            return false;
        }
        return (toMs == 0 || minTsMs < toMs) && (fromMs == 0 || maxTsMs >= fromMs);
    }
}
