package io.quantbot.storage.client;

/** {@code NOT_FOUND}: a key, artifact, run or candle series does not exist. */
public class NotFoundException extends StorageException {
    public NotFoundException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
