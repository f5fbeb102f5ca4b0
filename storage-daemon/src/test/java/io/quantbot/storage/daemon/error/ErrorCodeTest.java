package io.quantbot.storage.daemon.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quantbot.storage.daemon.grpc.StatusMapper;
import io.quantbot.storage.v1.ErrorReason;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The domain error codes and the public ErrorReason enum of the proto stay in step. */
class ErrorCodeTest {
    @Test
    void everyErrorCodeIsAPublicReasonAndViceVersa() {
        Set<String> codes = Arrays.stream(ErrorCode.values()).map(Enum::name).collect(Collectors.toSet());
        Set<String> reasons = Arrays.stream(ErrorReason.values())
                .filter(reason -> reason != ErrorReason.ERROR_REASON_UNSPECIFIED && reason != ErrorReason.UNRECOGNIZED)
                .map(reason -> reason.name().substring("ERROR_REASON_".length()))
                .collect(Collectors.toSet());
        assertThat(codes).isEqualTo(reasons);
    }

    @Test
    void userErrorsNeverMapToInternalOrUnknown() {
        for (ErrorCode code : ErrorCode.values()) {
            Status.Code status = StatusMapper.codeOf(code);
            if (code == ErrorCode.FILE_CORRUPTED) {
                // the daemon's own fault, but one gRPC names exactly: the bytes on disk are damaged
                assertThat(status).isEqualTo(Status.Code.DATA_LOSS);
            } else if (code.category() == ErrorCategory.INTERNAL) {
                assertThat(status).isEqualTo(Status.Code.INTERNAL);
            } else {
                assertThat(status).isNotIn(Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.OK);
            }
        }
    }
}
