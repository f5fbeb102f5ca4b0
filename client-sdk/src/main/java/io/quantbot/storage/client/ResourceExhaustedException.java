package io.quantbot.storage.client;

/** {@code RESOURCE_EXHAUSTED}: a limit was hit (value or request too large, quota) or the daemon is overloaded ({@code QUEUE_FULL}, with {@link #retryDelay()}). */
public class ResourceExhaustedException extends StorageException {
    public ResourceExhaustedException(StorageError error, Throwable cause) {
        super(error, cause);
    }
}
