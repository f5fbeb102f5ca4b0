package io.quantbot.storage.daemon.run;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link RunsContract} on the cluster engine (runs recorded and leased in PostgreSQL, hot rows in the owner's DuckDB, seals in the shared catalog). */
class RunsClusterTest extends RunsContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.CLUSTER;
    }
}
