package io.quantbot.storage.client;

/** {@code DEADLINE_EXCEEDED}: the call's deadline passed before an answer came. */
public class DeadlineExceededException extends StorageException {
    public DeadlineExceededException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
