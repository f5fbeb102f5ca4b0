package io.quantbot.storage.daemon.candles;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CandlesContract} on the embedded engine (DuckDB and Parquet files). */
class CandlesEmbeddedTest extends CandlesContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
