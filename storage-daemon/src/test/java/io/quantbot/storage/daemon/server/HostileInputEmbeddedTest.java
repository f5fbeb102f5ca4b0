package io.quantbot.storage.daemon.server;

import io.quantbot.storage.daemon.testing.EngineUnderTest;

/** {@link HostileInputContract} on the embedded engine. */
class HostileInputEmbeddedTest extends HostileInputContract {
    @Override
    protected EngineUnderTest engine() {
        return EngineUnderTest.EMBEDDED;
    }
}
