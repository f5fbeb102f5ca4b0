package io.quantbot.storage.daemon.grpc;

import static io.quantbot.storage.daemon.testing.GrpcErrors.badRequest;
import static io.quantbot.storage.daemon.testing.GrpcErrors.errorInfo;
import static io.quantbot.storage.daemon.testing.GrpcErrors.retryInfo;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class StatusMapperTest {
    @Test
    void storageExceptionsCarryReasonMetadataViolationsAndRetryInfo() {
        StatusRuntimeException status = StatusMapper.toStatusException(new CompletionException(StorageException.builder(ErrorCode.QUEUE_FULL, "queue full")
                .metadata("queue", 10)
                .violation("entries", "too many")
                .retryAfter(Duration.ofMillis(1500))
                .build()));
        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status.getStatus().getDescription()).isEqualTo("queue full");
        assertThat(errorInfo(status).orElseThrow().getReason()).isEqualTo("QUEUE_FULL");
        assertThat(errorInfo(status).orElseThrow().getMetadataMap()).containsEntry("queue", "10");
        assertThat(badRequest(status).orElseThrow().getFieldViolations(0).getField()).isEqualTo("entries");
        assertThat(retryInfo(status).orElseThrow().getRetryDelay().getSeconds()).isEqualTo(1);
        assertThat(retryInfo(status).orElseThrow().getRetryDelay().getNanos()).isEqualTo(500_000_000);
    }

    @Test
    void unexpectedExceptionsBecomeInternalWithoutInternals() {
        StatusRuntimeException status = StatusMapper.toStatusException(new IllegalStateException("secret /var/lib/thing.duckdb",
                new SQLException("SELECT * FROM secret")));
        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(status.getStatus().getDescription()).doesNotContain("secret").doesNotContain("SELECT").contains("daemon log");
        assertThat(status.getCause()).isNull();
        assertThat(errorInfo(status).orElseThrow().getReason()).isEqualTo("INTERNAL");
    }
}
