package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.worker.v1.Issue;
import io.quantbot.storage.worker.v1.WorkerError;

/**
 * A worker's structured error as the client will see it: the matching error code, the worker's
 * message (written for clients: what was wrong, in which file, row and column) and one field
 * violation per issue. Tracebacks never go to the client; the worker logs them on stderr, which the
 * daemon log carries.
 */
final class WorkerErrors {
    private WorkerErrors() {}

    static ErrorCode codeOf(WorkerError.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, NOT_FOUND -> ErrorCode.INVALID_ARGUMENT;
            case INVALID_SQL -> ErrorCode.INVALID_SQL;
            case INVALID_INPUT_DATA -> ErrorCode.INVALID_INPUT_DATA;
            case PATH_NOT_ALLOWED -> ErrorCode.PATH_NOT_ALLOWED;
            case CANCELLED -> ErrorCode.CANCELLED;
            case DEADLINE_EXCEEDED -> ErrorCode.DEADLINE_EXCEEDED;
            case RESOURCE_EXHAUSTED -> ErrorCode.REQUEST_TOO_LARGE;
            case INTERNAL, CODE_UNSPECIFIED, UNRECOGNIZED -> ErrorCode.WORKER_FAILED;
        };
    }

    static StorageException toException(String op, long pid, WorkerError error) {
        ErrorCode code = codeOf(error.getCode());
        String message = error.getMessage().isBlank() ? "the " + op + " call failed (" + error.getCode() + ")" : error.getMessage();
        if (code == ErrorCode.WORKER_FAILED) {
            message = "python worker " + pid + " failed while running " + op + ": " + message
                    + " (the daemon log has the traceback)";
        }
        StorageException.Builder builder = StorageException.builder(code, message).metadata("op", op);
        for (Issue issue : error.getIssuesList()) {
            builder.violation(issue.getFile() + ":" + issue.getRow() + ":" + issue.getColumn(), issue.getMessage());
        }
        return builder.build();
    }
}
