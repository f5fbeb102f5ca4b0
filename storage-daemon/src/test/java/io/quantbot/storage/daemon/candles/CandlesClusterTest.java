package io.quantbot.storage.daemon.candles;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link CandlesContract} on the cluster engine (slices registered in PostgreSQL, files in the shared warehouse; a database of its own). */
class CandlesClusterTest extends CandlesContract {
    private static final EngineUnderTest ENGINE = EngineUnderTest.clusterOnItsOwnDatabase();

    @Override
    protected EngineUnderTest engine() {
        return ENGINE;
    }
}
