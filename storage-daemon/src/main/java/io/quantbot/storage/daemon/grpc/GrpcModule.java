package io.quantbot.storage.daemon.grpc;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;
import io.grpc.BindableService;

/** Registers the gRPC adapters of the ports. */
public final class GrpcModule extends AbstractModule {
    @Override
    protected void configure() {
        Multibinder<BindableService> services = Multibinder.newSetBinder(binder(), BindableService.class);
        services.addBinding().to(StatePortService.class);
        services.addBinding().to(ArtifactPortService.class);
    }
}
