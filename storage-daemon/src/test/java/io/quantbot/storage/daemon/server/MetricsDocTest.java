package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every quantbot_* meter the daemon registers is documented in docs/operations.md. */
class MetricsDocTest {
    @Test
    void everyMeterIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "operations.md"));
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            // registers the per-call timer
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> StatePortGrpc.newBlockingStub(daemon.inProcessChannel()).get(GetRequest.newBuilder().setNamespace("m").setKey("k").build()))
                    .isInstanceOf(io.grpc.StatusRuntimeException.class);
            PrometheusMeterRegistry registry = daemon.getInstance(PrometheusMeterRegistry.class);
            Set<String> names = new TreeSet<>();
            for (Meter meter : registry.getMeters()) {
                if (meter.getId().getName().startsWith("quantbot.")) {
                    names.add(meter.getId().getName());
                }
            }
            assertThat(names).isNotEmpty();
            String scrape = registry.scrape();
            for (String name : names) {
                String prefix = name.replace('.', '_');
                assertThat(doc).as("docs/operations.md documents %s", name).containsPattern("`" + prefix + "(_[a-z]+)?`");
                assertThat(scrape).contains(prefix);
            }
        }
    }
}
