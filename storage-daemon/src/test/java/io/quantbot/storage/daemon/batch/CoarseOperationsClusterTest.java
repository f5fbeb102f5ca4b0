package io.quantbot.storage.daemon.batch;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/**
 * {@link CoarseOperationsContract} on the cluster engine: the catalog in PostgreSQL, the files in the shared warehouse,
 * the Python workers reading them there (a database of its own, so its snapshot meets no other suite's candles).
 */
class CoarseOperationsClusterTest extends CoarseOperationsContract {
    private static final EngineUnderTest ENGINE = EngineUnderTest.clusterOnItsOwnDatabase();

    @Override
    protected EngineUnderTest engine() {
        return ENGINE;
    }
}
