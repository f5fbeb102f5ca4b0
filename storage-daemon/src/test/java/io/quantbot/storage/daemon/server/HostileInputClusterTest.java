package io.quantbot.storage.daemon.server;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link HostileInputContract} on the cluster engine: every hostile name and path is refused before PostgreSQL sees it. */
class HostileInputClusterTest extends HostileInputContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.CLUSTER;
    }
}
