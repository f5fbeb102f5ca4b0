package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A file the engine wrote into the staging folder (already fsynced and renamed into place), with what
 * the catalog needs to register it. {@code stagingPath}, {@code fileHash} and {@code sizeBytes} are
 * empty/zero for a dry run, which writes nothing.
 *
 * @param contentHash the qbch1 hash of the rows (same rows, same hash, whatever the file)
 * @param minTsMs smallest time-column value (epoch ms), 0 when the type has none
 * @param paramsJson provenance parameters, a JSON object
 * @param extension "parquet" or "html"
 */
public record ProducedArtifact(
        String type,
        int schemaVersion,
        String logicalKey,
        Optional<Path> stagingPath,
        String fileHash,
        String contentHash,
        long rowCount,
        long sizeBytes,
        long minTsMs,
        long maxTsMs,
        List<ColumnInfo> columns,
        Map<String, String> tags,
        String paramsJson,
        String extension) {
    public ProducedArtifact {
        requireNonNull(type, "type is null");
        requireNonNull(logicalKey, "logicalKey is null");
        requireNonNull(stagingPath, "stagingPath is null");
        requireNonNull(fileHash, "fileHash is null");
        requireNonNull(contentHash, "contentHash is null");
        columns = List.copyOf(columns);
        tags = Map.copyOf(tags);
        requireNonNull(paramsJson, "paramsJson is null");
        requireNonNull(extension, "extension is null");
    }
}
