package io.quantbot.storage.daemon.state;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CompareAndSetConcurrencyContract} on the embedded engine (DuckDB and Parquet files). */
class CompareAndSetConcurrencyEmbeddedTest extends CompareAndSetConcurrencyContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
