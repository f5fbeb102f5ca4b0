package io.quantbot.storage.client;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * {@code ABORTED}: a compare-and-set, batch set, delete or transaction check found another version
 * than expected (reason {@code VERSION_CONFLICT}). Nothing of the failed call was applied.
 */
public class VersionConflictException extends StorageException {
    public VersionConflictException(StorageError error, Throwable cause) {
        super(error, cause);
    }

    /** The version the request expected (metadata {@code expected_version}). */
    public OptionalLong expectedVersion() {
        return longMetadata("expected_version");
    }

    /** The version the key actually had, 0 if it did not exist (metadata {@code actual_version}). */
    public OptionalLong actualVersion() {
        return longMetadata("actual_version");
    }

    /** For transactions and batch sets: the index of the operation that failed (metadata {@code op_index}). */
    public OptionalInt operationIndex() {
        Optional<String> value = metadataValue("op_index");
        try {
            return value.map(text -> OptionalInt.of(Integer.parseInt(text))).orElse(OptionalInt.empty());
        }
        catch (NumberFormatException malformed) {
            return OptionalInt.empty();
        }
    }

    private OptionalLong longMetadata(String name) {
        Optional<String> value = metadataValue(name);
        try {
            return value.map(text -> OptionalLong.of(Long.parseLong(text))).orElse(OptionalLong.empty());
        }
        catch (NumberFormatException malformed) {
            return OptionalLong.empty();
        }
    }
}
