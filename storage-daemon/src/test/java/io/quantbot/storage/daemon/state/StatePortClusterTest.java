package io.quantbot.storage.daemon.state;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link StatePortContract} on the cluster engine (state in PostgreSQL). */
class StatePortClusterTest extends StatePortContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.CLUSTER;
    }
}
