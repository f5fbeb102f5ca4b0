package io.quantbot.storage.client;

/** {@code CANCELLED}: the call was cancelled, e.g. because the calling thread was interrupted. */
public class CancelledException extends StorageException {
    public CancelledException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
