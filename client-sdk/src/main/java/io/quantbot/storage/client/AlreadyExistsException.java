package io.quantbot.storage.client;

/** {@code ALREADY_EXISTS}: the daemon does not use this code today; kept so that every status code has a type. */
public class AlreadyExistsException extends StorageException {
    public AlreadyExistsException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
