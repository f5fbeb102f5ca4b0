package io.quantbot.storage.client;

/** {@code PERMISSION_DENIED}: the token's role does not allow this call. */
public class PermissionDeniedException extends StorageException {
    public PermissionDeniedException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
