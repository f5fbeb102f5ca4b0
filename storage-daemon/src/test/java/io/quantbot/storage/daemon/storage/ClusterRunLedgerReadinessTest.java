package io.quantbot.storage.daemon.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.run.RunLeases;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A daemon that cannot renew its run leases for more than half of cluster.run-lease reports not ready (condition
 * run-leases), so new work goes elsewhere before its runs are lost; the next successful renewal makes it ready again.
 */
class ClusterRunLedgerReadinessTest {
    @Test
    void readinessDropsAfterHalfALeaseWithoutRenewalAndComesBackWithTheNextRenewal() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            AtomicBoolean postgresDown = new AtomicBoolean(true);
            RunLeases leases = (RunLeases) Proxy.newProxyInstance(RunLeases.class.getClassLoader(), new Class<?>[] {RunLeases.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "nodeId" -> "node-under-test";
                        case "renew" -> {
                            if (postgresDown.get()) {
                                throw new IllegalStateException("PostgreSQL unreachable (simulated)");
                            }
                            yield Map.of();
                        }
                        case "reapExpired" -> 0;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            ClusterConfig config = new ClusterConfig("jdbc:postgresql://unused/unused", "unused", new ClusterConfig.Secret("unused"),
                    URI.create("file:///unused"), "node-under-test", 1, Duration.ofSeconds(1), Duration.ofSeconds(1));
            Readiness readiness = new Readiness();
            ClusterRunLedger ledger = new ClusterRunLedger(daemon.getInstance(DuckDbRunLedger.class), leases, config, readiness,
                    java.time.Clock.systemUTC(), new SimpleMeterRegistry());

            ledger.renewAndReap();
            assertThat(readiness.reasons()).as("a first failure inside half the lease").doesNotContainKey(ClusterRunLedger.READINESS_CONDITION);
            Await.until("readiness to drop after half a lease without renewal", Duration.ofSeconds(10), () -> {
                ledger.renewAndReap();
                return readiness.reasons().containsKey(ClusterRunLedger.READINESS_CONDITION);
            });
            assertThat(readiness.isReady()).isFalse();
            assertThat(readiness.reasons().get(ClusterRunLedger.READINESS_CONDITION)).contains("run leases not renewed");

            postgresDown.set(false);
            ledger.renewAndReap();
            assertThat(readiness.reasons()).doesNotContainKey(ClusterRunLedger.READINESS_CONDITION);
        }
    }
}
