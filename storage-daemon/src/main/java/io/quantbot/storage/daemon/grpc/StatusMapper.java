package io.quantbot.storage.daemon.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.FieldViolation;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.server.RequestContext;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become gRPC statuses: domain error codes map to status codes in an
 * exhaustive switch, every status carries a google.rpc.ErrorInfo (domain "quantbot.storage", reason =
 * the error code), BadRequest for invalid fields and RetryInfo for retryable overload. Unexpected
 * exceptions are logged here with their stack trace and reach the client only as INTERNAL with the
 * request id, never with internals.
 */
public final class StatusMapper {
    public static final String ERROR_DOMAIN = "quantbot.storage";
    private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

    private StatusMapper() {}

    public static Status.Code codeOf(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT, INVALID_NAMESPACE, INVALID_KEY, INVALID_VALUE, INVALID_PAGE_TOKEN, INVALID_ROWS, INVALID_INTERVAL,
                    INVALID_TIME_RANGE, INVALID_SQL, INVALID_INPUT_DATA, PATH_NOT_ALLOWED -> Status.Code.INVALID_ARGUMENT;
            case VALUE_TOO_LARGE, REQUEST_TOO_LARGE, QUOTA_EXCEEDED, QUEUE_FULL, DISK_FULL -> Status.Code.RESOURCE_EXHAUSTED;
            case KEY_NOT_FOUND, ARTIFACT_NOT_FOUND, RUN_NOT_FOUND, CANDLES_NOT_FOUND -> Status.Code.NOT_FOUND;
            case VERSION_CONFLICT -> Status.Code.ABORTED;
            case RUN_NOT_OPEN, CHUNK_OUT_OF_ORDER, CHUNK_CONFLICT, ARTIFACT_NOT_ACTIVE, RUN_OWNED_ELSEWHERE, RUN_LOST -> Status.Code.FAILED_PRECONDITION;
            case SHUTTING_DOWN, STORAGE_UNAVAILABLE, WORKER_UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case NOT_IMPLEMENTED -> Status.Code.UNIMPLEMENTED;
            case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
            case CANCELLED -> Status.Code.CANCELLED;
            case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
            case INTERNAL, WORKER_FAILED -> Status.Code.INTERNAL;
            case FILE_CORRUPTED -> Status.Code.DATA_LOSS;
        };
    }

    public static StatusRuntimeException toStatusException(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof StatusRuntimeException status) {
            return status;
        }
        if (cause instanceof StatusException status) {
            return status.getStatus().asRuntimeException(status.getTrailers());
        }
        if (cause instanceof StorageException storage) {
            if (storage.code() == ErrorCode.INTERNAL || storage.code() == ErrorCode.WORKER_FAILED) {
                log.error("{} (request {})", storage.getMessage(), RequestContext.currentRequestId(), storage.getCause() == null ? storage : storage.getCause());
            }
            return toStatusException(storage);
        }
        if (cause instanceof CancellationException) {
            return toStatusException(StorageException.of(ErrorCode.CANCELLED, "the call was cancelled"));
        }
        String requestId = RequestContext.currentRequestId();
        log.error("Unexpected failure (request {})", requestId, cause);
        return toStatusException(StorageException.of(ErrorCode.INTERNAL,
                "internal error in the storage daemon; the daemon log has the details under request id " + requestId));
    }

    public static StatusRuntimeException toStatusException(StorageException exception) {
        Status.Code code = codeOf(exception.code());
        ErrorInfo.Builder info = ErrorInfo.newBuilder()
                .setDomain(ERROR_DOMAIN)
                .setReason(exception.code().name())
                .putAllMetadata(exception.metadata());
        String requestId = RequestContext.currentRequestId();
        if (!requestId.isEmpty()) {
            info.putMetadata("request_id", requestId);
        }
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(exception.getMessage())
                .addDetails(Any.pack(info.build()));
        if (!exception.violations().isEmpty()) {
            BadRequest.Builder badRequest = BadRequest.newBuilder();
            for (FieldViolation violation : exception.violations()) {
                badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                        .setField(violation.field())
                        .setDescription(violation.description()));
            }
            status.addDetails(Any.pack(badRequest.build()));
        }
        exception.retryAfter().ifPresent(delay -> status.addDetails(Any.pack(RetryInfo.newBuilder()
                .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                        .setSeconds(delay.getSeconds())
                        .setNanos(delay.getNano()))
                .build())));
        return StatusProto.toStatusRuntimeException(status.build());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
