package io.quantbot.storage.client;

/** {@code UNIMPLEMENTED}: the daemon does not serve this RPC (yet). */
public class UnimplementedException extends StorageException {
    public UnimplementedException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
