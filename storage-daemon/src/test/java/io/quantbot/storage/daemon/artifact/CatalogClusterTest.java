package io.quantbot.storage.daemon.artifact;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CatalogContract} on the cluster engine (the catalog in PostgreSQL, its files in the shared warehouse). */
class CatalogClusterTest extends CatalogContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.CLUSTER;
    }
}
