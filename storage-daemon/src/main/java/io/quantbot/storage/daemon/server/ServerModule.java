package io.quantbot.storage.daemon.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import io.grpc.protobuf.services.HealthStatusManager;
import jakarta.inject.Singleton;
import java.util.List;

/** The network side: gRPC server with its interceptors and health service, and the HTTP ops endpoint. */
public final class ServerModule extends AbstractModule {
    @Provides
    @Singleton
    HealthStatusManager healthStatusManager() {
        return new HealthStatusManager();
    }

    @Provides
    @Singleton
    ServerInterceptorChain interceptorChain(CallObservingInterceptor observing, LoadShedding shedding, AuthInterceptor auth) {
        // ServerInterceptors.intercept runs the last interceptor first: observation wraps everything, so refused
        // calls are counted and logged too; shedding refuses overload before auth (a refusal costs nothing and
        // tells nothing); auth runs before any service code.
        return new ServerInterceptorChain(List.of(auth, shedding, observing));
    }
}
