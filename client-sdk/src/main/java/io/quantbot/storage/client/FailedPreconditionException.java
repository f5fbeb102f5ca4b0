package io.quantbot.storage.client;

/** {@code FAILED_PRECONDITION}: the target is not in a state that allows the call (e.g. {@code RUN_NOT_OPEN}, {@code CHUNK_OUT_OF_ORDER}). */
public class FailedPreconditionException extends StorageException {
    public FailedPreconditionException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
