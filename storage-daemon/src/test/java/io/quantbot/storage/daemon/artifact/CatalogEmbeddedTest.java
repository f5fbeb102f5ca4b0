package io.quantbot.storage.daemon.artifact;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CatalogContract} on the embedded engine (DuckDB and Parquet files). */
class CatalogEmbeddedTest extends CatalogContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
