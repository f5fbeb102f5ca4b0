package io.quantbot.storage.daemon.artifact;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.List;
import java.util.Optional;

/**
 * The catalog's rules as pure decisions, so every engine applies the same ones (it stores; these decide).
 *
 * <p><b>Dedup.</b> A staged artifact is a duplicate of an <em>active</em> artifact with the same type and logical key
 * and either the same file bytes (file hash) or the same rows (content hash); the file-hash match wins when both
 * exist. An engine that cannot read-then-write atomically (several daemons on one catalog) enforces the same rule
 * with unique keys: {@link #dedupKeys} are the keys two active artifacts may never share, so an insert that hits one
 * returns the winner instead.
 *
 * <p><b>Supersede.</b> Only an active artifact can be retired; a replacement must exist, be active, differ from it
 * and have its type; with a replacement the artifact becomes SUPERSEDED, without one TOMBSTONED.
 */
public final class CatalogRules {
    private CatalogRules() {}

    /** The duplicate of {@code staged} among {@code candidates} (same type and logical key), if any. */
    public static Optional<ArtifactRecord> duplicateOf(StagedArtifact staged, List<ArtifactRecord> candidates) {
        for (ArtifactRecord record : candidates) {
            if (sameKey(record, staged) && record.isActive() && record.fileHash().equals(staged.fileHash())) {
                return Optional.of(record);
            }
        }
        for (ArtifactRecord record : candidates) {
            if (sameKey(record, staged) && record.isActive() && record.contentHash().equals(staged.contentHash())) {
                return Optional.of(record);
            }
        }
        return Optional.empty();
    }

    /** The unique keys an engine enforces among active artifacts to decide dedup by constraint. */
    public static List<String> dedupKeys(String type, String logicalKey, String fileHash, String contentHash) {
        String prefix = type + "\u0000" + logicalKey + "\u0000";
        return List.of(prefix + "file:" + fileHash, prefix + "content:" + contentHash);
    }

    /**
     * Checks a supersede (or, without a replacement, a tombstone) and returns the status the artifact gets.
     *
     * @throws StorageException ARTIFACT_NOT_ACTIVE or INVALID_ARGUMENT
     */
    public static ArtifactStatus checkSupersede(ArtifactRecord record, Optional<ArtifactRecord> replacement) {
        requireActive(record);
        if (replacement.isEmpty()) {
            return ArtifactStatus.TOMBSTONED;
        }
        ArtifactRecord other = replacement.get();
        if (other.id().equals(record.id())) {
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "an artifact cannot supersede itself")
                    .violation("replacement_id", "must differ from artifact_id").build();
        }
        if (!other.isActive()) {
            throw StorageException.builder(ErrorCode.ARTIFACT_NOT_ACTIVE, "the replacement " + other.id() + " is "
                    + other.status().dbValue() + "; only an active artifact can replace another")
                    .metadata("artifact_id", other.id()).build();
        }
        if (!other.type().equals(record.type())) {
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "the replacement is a " + other.type() + ", not a "
                    + record.type()).violation("replacement_id", "must have the same type as the artifact it replaces").build();
        }
        return ArtifactStatus.SUPERSEDED;
    }

    /** Only an active artifact can be superseded or tombstoned: ARTIFACT_NOT_ACTIVE otherwise (checked first). */
    public static void requireActive(ArtifactRecord record) {
        if (!record.isActive()) {
            throw StorageException.builder(ErrorCode.ARTIFACT_NOT_ACTIVE, "artifact " + record.id() + " is already " + record.status().dbValue())
                    .metadata("artifact_id", record.id())
                    .metadata("status", record.status().dbValue())
                    .build();
        }
    }

    private static boolean sameKey(ArtifactRecord record, StagedArtifact staged) {
        return record.type().equals(staged.type()) && record.logicalKey().equals(staged.logicalKey());
    }
}
