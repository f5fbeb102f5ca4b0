package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns a gRPC status (plus its details) into a typed {@link StorageException}. */
public final class StorageExceptions {
    private static final Logger log = LoggerFactory.getLogger(StorageExceptions.class);

    private StorageExceptions() {}

    /**
     * Maps any throwable from a gRPC call. A {@link StorageException} is returned as it is; a
     * {@code StatusRuntimeException} / {@code StatusException} is decoded with its details; anything
     * else becomes an {@link InternalException} (status UNKNOWN) with the throwable as cause.
     */
    public static StorageException from(Throwable throwable) {
        requireNonNull(throwable, "throwable is null");
        if (throwable instanceof StorageException storageException) {
            return storageException;
        }
        Status status = Status.fromThrowable(throwable);
        com.google.rpc.Status statusProto = StatusProto.fromThrowable(throwable);
        return create(decode(status.getCode(), status.getDescription(), statusProto), throwable);
    }

    /**
     * Maps a {@code google.rpc.Status} carried inside a response, e.g. the error of one item of a
     * BatchGetCandles response.
     */
    public static StorageException fromStatusProto(com.google.rpc.Status statusProto) {
        requireNonNull(statusProto, "statusProto is null");
        Status.Code code = Status.fromCodeValue(statusProto.getCode()).getCode();
        return create(decode(code, statusProto.getMessage(), statusProto), null);
    }

    /** The exception type for an already decoded error. The switch is exhaustive over Status.Code. */
    public static StorageException create(StorageError error, Throwable cause) {
        requireNonNull(error, "error is null");
        return switch (error.code()) {
            case OK -> throw new IllegalArgumentException("an OK status is not an error: " + error);
            case CANCELLED -> new CancelledException(error, cause);
            case UNKNOWN, INTERNAL, DATA_LOSS -> new InternalException(error, cause);
            case INVALID_ARGUMENT, OUT_OF_RANGE -> new InvalidArgumentException(error, cause);
            case DEADLINE_EXCEEDED -> new DeadlineExceededException(error, cause);
            case NOT_FOUND -> new NotFoundException(error, cause);
            case ALREADY_EXISTS -> new AlreadyExistsException(error, cause);
            case PERMISSION_DENIED -> new PermissionDeniedException(error, cause);
            case RESOURCE_EXHAUSTED -> new ResourceExhaustedException(error, cause);
            case FAILED_PRECONDITION -> new FailedPreconditionException(error, cause);
            case ABORTED -> new VersionConflictException(error, cause);
            case UNIMPLEMENTED -> new UnimplementedException(error, cause);
            case UNAVAILABLE -> new UnavailableException(error, cause);
            case UNAUTHENTICATED -> new UnauthenticatedException(error, cause);
        };
    }

    private static StorageError decode(Status.Code code, String description, com.google.rpc.Status statusProto) {
        String message = description == null ? "" : description;
        if (statusProto == null) {
            return StorageError.of(code, message);
        }
        String domain = "";
        String reason = StorageError.UNSPECIFIED_REASON;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<FieldViolation> violations = new ArrayList<>();
        Optional<Duration> retryDelay = Optional.empty();
        for (Any detail : statusProto.getDetailsList()) {
            try {
                if (detail.is(ErrorInfo.class)) {
                    ErrorInfo errorInfo = detail.unpack(ErrorInfo.class);
                    domain = errorInfo.getDomain();
                    if (!errorInfo.getReason().isEmpty()) {
                        reason = errorInfo.getReason();
                    }
                    metadata.putAll(errorInfo.getMetadataMap());
                }
                else if (detail.is(BadRequest.class)) {
                    for (BadRequest.FieldViolation violation : detail.unpack(BadRequest.class).getFieldViolationsList()) {
                        violations.add(new FieldViolation(violation.getField(), violation.getDescription(), violation.getReason()));
                    }
                }
                else if (detail.is(RetryInfo.class)) {
                    com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
                    Duration retryAfter = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
                    retryDelay = Optional.of(retryAfter.isNegative() ? Duration.ZERO : retryAfter);
                }
            }
            catch (InvalidProtocolBufferException malformed) {
                // A broken detail must not hide the status itself.
                log.warn("Ignoring a malformed error detail of type {}", detail.getTypeUrl(), malformed);
            }
        }
        return new StorageError(code, message, domain, reason, metadata, violations, retryDelay);
    }
}
