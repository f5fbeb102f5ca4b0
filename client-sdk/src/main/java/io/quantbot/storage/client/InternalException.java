package io.quantbot.storage.client;

/** {@code INTERNAL}, {@code UNKNOWN} and {@code DATA_LOSS}: a failure inside the daemon (details are in its log) or an unexpected client-side failure. */
public class InternalException extends StorageException {
    public InternalException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
