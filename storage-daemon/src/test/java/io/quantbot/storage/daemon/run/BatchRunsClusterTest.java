package io.quantbot.storage.daemon.run;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link BatchRunsContract} on the cluster engine (each run of a batch registered and leased in PostgreSQL). */
class BatchRunsClusterTest extends BatchRunsContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.CLUSTER;
    }
}
