package io.quantbot.storage.daemon.batch;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CoarseOperationsContract} on the embedded engine (DuckDB and Parquet files in one data dir). */
class CoarseOperationsEmbeddedTest extends CoarseOperationsContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
