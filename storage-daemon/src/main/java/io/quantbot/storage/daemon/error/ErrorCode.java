package io.quantbot.storage.daemon.error;

/**
 * Every domain error the daemon can report. The names are the public reasons carried in
 * {@code google.rpc.ErrorInfo.reason} and match {@code quantbot.storage.v1.ErrorReason} (without its prefix);
 * a test keeps the two in step. The gRPC code of each is decided in one place, the status mapper.
 */
public enum ErrorCode {
    INVALID_ARGUMENT(ErrorCategory.USER),
    INVALID_NAMESPACE(ErrorCategory.USER),
    INVALID_KEY(ErrorCategory.USER),
    INVALID_VALUE(ErrorCategory.USER),
    INVALID_PAGE_TOKEN(ErrorCategory.USER),
    INVALID_ROWS(ErrorCategory.USER),
    INVALID_INTERVAL(ErrorCategory.USER),
    INVALID_TIME_RANGE(ErrorCategory.USER),
    INVALID_SQL(ErrorCategory.USER),
    INVALID_INPUT_DATA(ErrorCategory.USER),
    PATH_NOT_ALLOWED(ErrorCategory.USER),

    VALUE_TOO_LARGE(ErrorCategory.RESOURCE),
    REQUEST_TOO_LARGE(ErrorCategory.RESOURCE),
    QUOTA_EXCEEDED(ErrorCategory.RESOURCE),
    QUEUE_FULL(ErrorCategory.RESOURCE),
    DISK_FULL(ErrorCategory.RESOURCE),

    KEY_NOT_FOUND(ErrorCategory.USER),
    ARTIFACT_NOT_FOUND(ErrorCategory.USER),
    RUN_NOT_FOUND(ErrorCategory.USER),
    CANDLES_NOT_FOUND(ErrorCategory.USER),

    VERSION_CONFLICT(ErrorCategory.USER),

    RUN_NOT_OPEN(ErrorCategory.USER),
    CHUNK_OUT_OF_ORDER(ErrorCategory.USER),
    CHUNK_CONFLICT(ErrorCategory.USER),
    RUN_OWNED_ELSEWHERE(ErrorCategory.USER),
    RUN_LOST(ErrorCategory.USER),
    ARTIFACT_NOT_ACTIVE(ErrorCategory.USER),

    SHUTTING_DOWN(ErrorCategory.TRANSIENT),
    STORAGE_UNAVAILABLE(ErrorCategory.TRANSIENT),
    WORKER_UNAVAILABLE(ErrorCategory.TRANSIENT),

    NOT_IMPLEMENTED(ErrorCategory.USER),
    DEADLINE_EXCEEDED(ErrorCategory.TRANSIENT),
    CANCELLED(ErrorCategory.USER),
    UNAUTHENTICATED(ErrorCategory.USER),
    PERMISSION_DENIED(ErrorCategory.USER),
    INTERNAL(ErrorCategory.INTERNAL),
    WORKER_FAILED(ErrorCategory.INTERNAL),
    FILE_CORRUPTED(ErrorCategory.INTERNAL);

    private final ErrorCategory category;

    ErrorCode(ErrorCategory category) {
        this.category = category;
    }

    public ErrorCategory category() {
        return category;
    }
}
