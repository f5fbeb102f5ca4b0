package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.quantbot.storage.v1.ErrorReason;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the daemon said about a failed call, decoded from the gRPC status and its details
 * ({@code google.rpc.ErrorInfo}, {@code BadRequest}, {@code RetryInfo}).
 *
 * @param code the gRPC status code
 * @param description the status message (empty when there was none)
 * @param domain the ErrorInfo domain ({@code "quantbot.storage"}), empty without ErrorInfo
 * @param reason the ErrorInfo reason, e.g. {@code "VERSION_CONFLICT"}; {@code "UNSPECIFIED"} when
 *     the status carried no ErrorInfo (a proxy, a client-side deadline, a plain UNAVAILABLE)
 * @param metadata the ErrorInfo metadata, e.g. {@code namespace}, {@code key},
 *     {@code expected_version}, {@code actual_version}, {@code op_index}
 * @param fieldViolations the BadRequest field violations (INVALID_ARGUMENT only)
 * @param retryDelay how long the daemon asked the client to wait before retrying (RetryInfo)
 */
public record StorageError(
        Status.Code code,
        String description,
        String domain,
        String reason,
        Map<String, String> metadata,
        List<FieldViolation> fieldViolations,
        Optional<Duration> retryDelay) {
    /** The reason used when a status carries no ErrorInfo. */
    public static final String UNSPECIFIED_REASON = "UNSPECIFIED";

    /** The ErrorInfo domain of every error the daemon raises. */
    public static final String DOMAIN = "quantbot.storage";

    private static final String REASON_PREFIX = "ERROR_REASON_";

    public StorageError {
        requireNonNull(code, "code is null");
        requireNonNull(description, "description is null");
        requireNonNull(domain, "domain is null");
        requireNonNull(reason, "reason is null");
        metadata = Map.copyOf(requireNonNull(metadata, "metadata is null"));
        fieldViolations = List.copyOf(requireNonNull(fieldViolations, "fieldViolations is null"));
        requireNonNull(retryDelay, "retryDelay is null");
    }

    /** An error with nothing but a code and a message, as a status without details decodes. */
    public static StorageError of(Status.Code code, String description) {
        return new StorageError(code, description, "", UNSPECIFIED_REASON, Map.of(), List.of(), Optional.empty());
    }

    /**
     * The reason as the {@link ErrorReason} enum; {@link ErrorReason#ERROR_REASON_UNSPECIFIED} when
     * the status had no ErrorInfo or the reason is one this client version does not know.
     */
    public ErrorReason errorReason() {
        if (reason.isEmpty() || reason.equals(UNSPECIFIED_REASON)) {
            return ErrorReason.ERROR_REASON_UNSPECIFIED;
        }
        try {
            return ErrorReason.valueOf(REASON_PREFIX + reason);
        }
        catch (IllegalArgumentException unknown) {
            return ErrorReason.ERROR_REASON_UNSPECIFIED;
        }
    }
}
