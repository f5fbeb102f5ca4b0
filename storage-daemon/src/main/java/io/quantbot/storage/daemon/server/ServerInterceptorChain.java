package io.quantbot.storage.daemon.server;

import io.grpc.ServerInterceptor;
import java.util.List;

/** The server interceptors in the order ServerInterceptors.intercept takes them (the last one runs first). */
public record ServerInterceptorChain(List<ServerInterceptor> interceptors) {
    public ServerInterceptorChain {
        interceptors = List.copyOf(interceptors);
    }
}
