package io.quantbot.storage.client;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.Map;

/** Builds errors the way the daemon sends them: a status with ErrorInfo and friends in the details. */
final class Errors {
    private Errors() {}

    static com.google.rpc.Status.Builder statusProto(Status.Code code, String reason, String message, Map<String, String> metadata) {
        return com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(message)
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setDomain(StorageError.DOMAIN)
                        .setReason(reason)
                        .putAllMetadata(metadata)
                        .build()));
    }

    static StatusRuntimeException error(Status.Code code, String reason, String message, Map<String, String> metadata) {
        return StatusProto.toStatusRuntimeException(statusProto(code, reason, message, metadata).build());
    }

    static StatusRuntimeException error(Status.Code code, String reason) {
        return error(code, reason, code + " from the fake", Map.of());
    }

    static StatusRuntimeException invalidArgument(String reason, String field, String description) {
        return StatusProto.toStatusRuntimeException(statusProto(Status.Code.INVALID_ARGUMENT, reason, "bad " + field, Map.of("field", field))
                .addDetails(Any.pack(BadRequest.newBuilder()
                        .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                                .setField(field)
                                .setDescription(description)
                                .setReason(reason))
                        .build()))
                .build());
    }

    static StatusRuntimeException queueFull(Duration retryDelay) {
        return StatusProto.toStatusRuntimeException(statusProto(Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL", "write queue is full", Map.of())
                .addDetails(Any.pack(RetryInfo.newBuilder()
                        .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                                .setSeconds(retryDelay.getSeconds())
                                .setNanos(retryDelay.getNano()))
                        .build()))
                .build());
    }

    /** As a proxy or a dead connection would answer: no details at all. */
    static StatusRuntimeException plain(Status.Code code) {
        return code.toStatus().withDescription("plain " + code).asRuntimeException();
    }
}
