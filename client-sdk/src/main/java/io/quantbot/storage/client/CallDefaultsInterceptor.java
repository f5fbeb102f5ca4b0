package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Gives every call made through the client's channel, including calls of the generated stubs
 * handed out by {@link QuantbotStorageClient#stateStub()} and friends, a deadline, the bearer
 * token and the inbound message limit, unless the caller set them on the call already.
 */
final class CallDefaultsInterceptor implements ClientInterceptor {
    private final CallPolicies policies;
    private final Optional<CallCredentials> credentials;
    private final int maxInboundMessageSize;

    CallDefaultsInterceptor(CallPolicies policies, Optional<CallCredentials> credentials, int maxInboundMessageSize) {
        this.policies = requireNonNull(policies, "policies is null");
        this.credentials = requireNonNull(credentials, "credentials is null");
        this.maxInboundMessageSize = maxInboundMessageSize;
    }

    @Override
    public <RequestT, ResponseT> ClientCall<RequestT, ResponseT> interceptCall(
            MethodDescriptor<RequestT, ResponseT> method, CallOptions callOptions, Channel next) {
        CallOptions options = callOptions;
        if (options.getDeadline() == null) {
            options = options.withDeadlineAfter(policies.deadlineFor(method).toNanos(), TimeUnit.NANOSECONDS);
        }
        if (options.getCredentials() == null && credentials.isPresent()) {
            options = options.withCallCredentials(credentials.get());
        }
        if (options.getMaxInboundMessageSize() == null) {
            options = options.withMaxInboundMessageSize(maxInboundMessageSize);
        }
        return next.newCall(method, options);
    }
}
