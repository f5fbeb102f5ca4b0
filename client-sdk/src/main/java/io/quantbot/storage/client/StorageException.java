package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.quantbot.storage.v1.ErrorReason;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Base of every exception the client throws for a failed call. Unchecked. The subclass tells the
 * gRPC status code; {@link #reason()} tells the daemon's machine-readable reason.
 *
 * <p>Built by {@link StorageExceptions#from(Throwable)}; the constructors are public so that
 * tests of code using this client can build them too.
 */
public class StorageException extends RuntimeException {
    private final StorageError error;

    public StorageException(StorageError error, Throwable cause) {
        super(message(requireNonNull(error, "error is null")), cause);
        this.error = error;
    }

    private static String message(StorageError error) {
        StringBuilder message = new StringBuilder()
                .append(error.code())
                .append(" (")
                .append(error.reason())
                .append(')');
        if (!error.description().isEmpty()) {
            message.append(": ").append(error.description());
        }
        if (!error.metadata().isEmpty()) {
            message.append(' ').append(error.metadata());
        }
        return message.toString();
    }

    /** Everything decoded from the status. */
    public StorageError error() {
        return error;
    }

    public Status.Code code() {
        return error.code();
    }

    /** The ErrorInfo reason, e.g. {@code "KEY_NOT_FOUND"}; {@code "UNSPECIFIED"} without ErrorInfo. */
    public String reason() {
        return error.reason();
    }

    /** The reason as an enum value; UNSPECIFIED when absent or unknown to this client version. */
    public ErrorReason errorReason() {
        return error.errorReason();
    }

    public String description() {
        return error.description();
    }

    public Map<String, String> metadata() {
        return error.metadata();
    }

    public Optional<String> metadataValue(String name) {
        return Optional.ofNullable(error.metadata().get(requireNonNull(name, "name is null")));
    }

    public List<FieldViolation> fieldViolations() {
        return error.fieldViolations();
    }

    /** The delay the daemon asked for before a retry (RetryInfo), if it sent one. */
    public Optional<Duration> retryDelay() {
        return error.retryDelay();
    }
}
