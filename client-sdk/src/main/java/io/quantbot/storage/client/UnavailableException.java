package io.quantbot.storage.client;

/** {@code UNAVAILABLE}: the daemon cannot be reached or is shutting down; idempotent calls are retried before this is thrown. */
public class UnavailableException extends StorageException {
    public UnavailableException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
