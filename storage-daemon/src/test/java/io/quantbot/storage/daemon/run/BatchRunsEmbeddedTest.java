package io.quantbot.storage.daemon.run;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link BatchRunsContract} on the embedded engine (DuckDB and Parquet files). */
class BatchRunsEmbeddedTest extends BatchRunsContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
