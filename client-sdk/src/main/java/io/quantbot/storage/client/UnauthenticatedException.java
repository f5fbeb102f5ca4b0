package io.quantbot.storage.client;

/** {@code UNAUTHENTICATED}: no bearer token, or one the daemon does not know. */
public class UnauthenticatedException extends StorageException {
    public UnauthenticatedException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
