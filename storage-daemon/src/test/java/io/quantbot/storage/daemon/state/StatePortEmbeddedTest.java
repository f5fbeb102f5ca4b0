package io.quantbot.storage.daemon.state;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link StatePortContract} on the embedded engine (DuckDB and Parquet files). */
class StatePortEmbeddedTest extends StatePortContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
