package io.quantbot.storage.daemon.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert;

/** Asserts on the error model: status code, ErrorInfo reason and details. */
public final class GrpcErrors {
    private GrpcErrors() {}

    /** Runs the call, asserts it fails with this code and reason, and returns the failure. */
    public static StatusRuntimeException expectError(ThrowableAssert.ThrowingCallable call, Status.Code code, String reason) {
        StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(failure).as("the call should fail with %s/%s", code, reason).isNotNull();
        assertThat(failure.getStatus().getCode()).as("status of: %s", failure.getStatus()).isEqualTo(code);
        assertThat(errorInfo(failure)).as("ErrorInfo of: %s", failure.getStatus()).isPresent();
        assertThat(errorInfo(failure).get().getDomain()).isEqualTo("quantbot.storage");
        assertThat(errorInfo(failure).get().getReason()).as("reason of: %s", failure.getStatus()).isEqualTo(reason);
        return failure;
    }

    public static Optional<ErrorInfo> errorInfo(StatusRuntimeException failure) {
        return detail(failure, ErrorInfo.class);
    }

    public static Optional<BadRequest> badRequest(StatusRuntimeException failure) {
        return detail(failure, BadRequest.class);
    }

    public static Optional<RetryInfo> retryInfo(StatusRuntimeException failure) {
        return detail(failure, RetryInfo.class);
    }

    private static <T extends com.google.protobuf.Message> Optional<T> detail(StatusRuntimeException failure, Class<T> type) {
        com.google.rpc.Status status = StatusProto.fromThrowable(failure);
        if (status == null) {
            return Optional.empty();
        }
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                try {
                    return Optional.of(any.unpack(type));
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return Optional.empty();
    }
}
