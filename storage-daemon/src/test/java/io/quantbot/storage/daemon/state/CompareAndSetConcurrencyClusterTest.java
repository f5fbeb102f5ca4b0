package io.quantbot.storage.daemon.state;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CompareAndSetConcurrencyContract} on the cluster engine (state in PostgreSQL). */
class CompareAndSetConcurrencyClusterTest extends CompareAndSetConcurrencyContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.CLUSTER;
    }
}
