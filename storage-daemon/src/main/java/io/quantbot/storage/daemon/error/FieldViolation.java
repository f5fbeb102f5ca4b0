package io.quantbot.storage.daemon.error;

import static java.util.Objects.requireNonNull;

/** One bad field of a request (becomes a {@code google.rpc.BadRequest.FieldViolation}). */
public record FieldViolation(String field, String description) {
    public FieldViolation {
        requireNonNull(field, "field is null");
        requireNonNull(description, "description is null");
    }
}
