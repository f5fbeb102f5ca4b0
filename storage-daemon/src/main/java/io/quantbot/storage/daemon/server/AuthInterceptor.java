package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.grpc.StatusMapper;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * Bearer-token auth: every call but health and reflection must carry {@code authorization: Bearer <token>}
 * of a role that allows the method. UNAUTHENTICATED without a valid token, PERMISSION_DENIED for a role
 * that is too small. Off when no tokens are configured (loopback only).
 */
@Singleton
public final class AuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String BEARER = "Bearer ";

    private final TokenStore tokens;

    @Inject
    public AuthInterceptor(TokenStore tokens) {
        this.tokens = requireNonNull(tokens, "tokens is null");
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        if (!tokens.enabled()) {
            return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        Optional<Role> required = MethodRoles.required(method);
        if (required.isEmpty()) {
            return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return refuse(call, StorageException.of(ErrorCode.UNAUTHENTICATED,
                    "this daemon requires a bearer token: send the metadata 'authorization: Bearer <token>'"));
        }
        Optional<TokenStore.Principal> principal = tokens.authenticate(header.substring(BEARER.length()).strip());
        if (principal.isEmpty()) {
            return refuse(call, StorageException.of(ErrorCode.UNAUTHENTICATED, "the bearer token is not valid"));
        }
        if (!principal.get().role().allows(required.get())) {
            return refuse(call, StorageException.builder(ErrorCode.PERMISSION_DENIED, "token '" + principal.get().name() + "' has the "
                            + principal.get().role().label() + " role; " + method + " needs " + required.get().label())
                    .metadata("required_role", required.get().label())
                    .metadata("role", principal.get().role().label())
                    .build());
        }
        return next.startCall(call, headers);
    }

    private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call, StorageException failure) {
        var status = StatusMapper.toStatusException(failure);
        call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
        return new ServerCall.Listener<>() {};
    }
}
