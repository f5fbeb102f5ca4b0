package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/** Sends {@code authorization: Bearer <token>} with every call. */
final class BearerTokenCredentials extends CallCredentials {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final String headerValue;

    BearerTokenCredentials(String token) {
        requireNonNull(token, "token is null");
        if (token.isBlank()) {
            throw new IllegalArgumentException("bearer token is blank");
        }
        if (!token.chars().allMatch(character -> character > 0x20 && character < 0x7f)) {
            throw new IllegalArgumentException("bearer token must be printable ASCII without spaces");
        }
        this.headerValue = "Bearer " + token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, headerValue);
        applier.apply(headers);
    }

    @Override
    public String toString() {
        // Never print the token.
        return "BearerTokenCredentials[***]";
    }
}
