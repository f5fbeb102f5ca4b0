package io.quantbot.storage.daemon.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The catalog meters every engine registers the same way (docs/operations.md, "Metrics"). */
public final class CatalogMetrics {
    private CatalogMetrics() {}

    /** {@code quantbot_catalog_commits_total{engine}}: catalog transactions committed (registrations and supersedes). */
    public static Counter commits(MeterRegistry registry, String engine) {
        return Counter.builder("quantbot.catalog.commits")
                .description("Catalog transactions committed (a publish or a batch of them, a supersede), by engine")
                .tag("engine", engine)
                .register(registry);
    }
}
