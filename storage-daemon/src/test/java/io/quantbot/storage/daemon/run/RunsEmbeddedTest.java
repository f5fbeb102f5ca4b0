package io.quantbot.storage.daemon.run;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link RunsContract} on the embedded engine (DuckDB and Parquet files). */
class RunsEmbeddedTest extends RunsContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
