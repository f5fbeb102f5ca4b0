package io.quantbot.storage.daemon.error;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one exception type the domain throws for failures a client must hear about. Its message is
 * shown to the client, so it must say what went wrong and never carry internals such as SQL or paths
 * of the daemon's own files.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final Map<String, String> metadata;
    private final List<FieldViolation> violations;
    private final Duration retryAfter;

    private StorageException(Builder builder) {
        super(builder.message, builder.cause);
        this.code = builder.code;
        this.metadata = Map.copyOf(builder.metadata);
        this.violations = List.copyOf(builder.violations);
        this.retryAfter = builder.retryAfter;
    }

    public static StorageException of(ErrorCode code, String message) {
        return builder(code, message).build();
    }

    public static Builder builder(ErrorCode code, String message) {
        return new Builder(code, message);
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public List<FieldViolation> violations() {
        return violations;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    public static final class Builder {
        private final ErrorCode code;
        private final String message;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final java.util.ArrayList<FieldViolation> violations = new java.util.ArrayList<>();
        private Duration retryAfter;
        private Throwable cause;

        private Builder(ErrorCode code, String message) {
            this.code = requireNonNull(code, "code is null");
            this.message = requireNonNull(message, "message is null");
        }

        public Builder metadata(String key, Object value) {
            metadata.put(key, String.valueOf(value));
            return this;
        }

        public Builder violation(String field, String description) {
            violations.add(new FieldViolation(field, description));
            return this;
        }

        public Builder violations(List<FieldViolation> more) {
            violations.addAll(more);
            return this;
        }

        public Builder retryAfter(Duration delay) {
            this.retryAfter = delay;
            return this;
        }

        public Builder cause(Throwable throwable) {
            this.cause = throwable;
            return this;
        }

        public StorageException build() {
            return new StorageException(this);
        }
    }
}
