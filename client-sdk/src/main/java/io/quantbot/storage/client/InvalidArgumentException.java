package io.quantbot.storage.client;

/** {@code INVALID_ARGUMENT} (and {@code OUT_OF_RANGE}): the request was rejected; see {@link #fieldViolations()}. */
public class InvalidArgumentException extends StorageException {
    public InvalidArgumentException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
