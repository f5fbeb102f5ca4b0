package io.quantbot.storage.daemon.server;

import io.grpc.Context;
import io.grpc.Metadata;

/** The request id of the current call: taken from the client's x-request-id header or made up, and put in every log line. */
public final class RequestContext {
    public static final Metadata.Key<String> REQUEST_ID_HEADER = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    public static final Context.Key<String> REQUEST_ID = Context.key("quantbot-request-id");
    public static final String MDC_REQUEST_ID = "request_id";
    public static final String MDC_METHOD = "method";

    private RequestContext() {}

    /** The request id of the call running on this thread, or "" outside a call. */
    public static String currentRequestId() {
        String id = REQUEST_ID.get();
        return id == null ? "" : id;
    }
}
