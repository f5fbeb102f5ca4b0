package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

/**
 * One entry of the {@code google.rpc.BadRequest} detail of an {@code INVALID_ARGUMENT} error:
 * the request field that was rejected and why.
 *
 * @param field the field path, e.g. {@code "key"} or {@code "entries[3].value"}
 * @param description a human-readable explanation
 * @param reason a machine-readable reason for the field, empty when the daemon sent none
 */
public record FieldViolation(String field, String description, String reason) {
    public FieldViolation {
        requireNonNull(field, "field is null");
        requireNonNull(description, "description is null");
        requireNonNull(reason, "reason is null");
    }
}
