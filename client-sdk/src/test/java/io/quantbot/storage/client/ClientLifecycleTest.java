package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientLifecycleTest {
    @Test
    void closeShutsDownAnOwnedChannel() throws Exception {
        try (LoopbackServer loopback = LoopbackServer.plaintext()) {
            QuantbotStorageClient client = QuantbotStorageClient.builder()
                    .forAddress("127.0.0.1", loopback.port())
                    .build();
            assertThat(client.artifacts().getServerInfo().getVersion()).isEqualTo("0.1.0-fake");
            ManagedChannel channel = client.ownedChannel().orElseThrow();

            client.close();

            assertThat(channel.isShutdown()).isTrue();
            assertThat(channel.isTerminated()).isTrue();
        }
    }

    @Test
    void targetStringCreatesAnOwnedChannel() throws Exception {
        try (LoopbackServer loopback = LoopbackServer.plaintext();
                QuantbotStorageClient client = QuantbotStorageClient.builder()
                        .target("127.0.0.1:" + loopback.port())
                        .build()) {
            client.state().setJson("ns", "k", "1");
            assertThat(client.state().get("ns", "k")).isPresent();
            assertThat(client.ownedChannel()).isPresent();
        }
    }

    @Test
    void maxInboundMessageSizeIsApplied() throws Exception {
        try (LoopbackServer loopback = LoopbackServer.plaintext();
                QuantbotStorageClient client = QuantbotStorageClient.builder()
                        .forAddress("127.0.0.1", loopback.port())
                        .maxInboundMessageSize(1_000)
                        .build()) {
            client.state().setJson("ns", "big", "\"" + "x".repeat(5_000) + "\"");

            // Exceeding the limit is a client-side RESOURCE_EXHAUSTED without RetryInfo: not retried.
            assertThatThrownBy(() -> client.state().get("ns", "big")).isInstanceOf(ResourceExhaustedException.class);
            assertThat(loopback.state.script.calls("Get")).isEqualTo(1);
        }
    }

    @Test
    void closeLeavesTheCallersChannelOpen() throws Exception {
        try (TestingServer server = new TestingServer()) {
            QuantbotStorageClient client = server.clientBuilder().build();
            client.artifacts().getServerInfo();

            client.close();

            assertThat(client.ownedChannel()).isEmpty();
            assertThat(server.channel().isShutdown()).isFalse();
            try (QuantbotStorageClient second = server.clientBuilder().build()) {
                assertThat(second.artifacts().getServerInfo().getVersion()).isEqualTo("0.1.0-fake");
            }
        }
    }

    @Test
    void closeIsIdempotent() throws Exception {
        try (LoopbackServer loopback = LoopbackServer.plaintext()) {
            QuantbotStorageClient client = QuantbotStorageClient.builder().forAddress("127.0.0.1", loopback.port()).build();
            client.close();
            client.close();
            assertThat(client.ownedChannel().orElseThrow().isTerminated()).isTrue();
        }
    }

    @Test
    void builderNeedsExactlyOneWayToConnect() throws Exception {
        assertThatThrownBy(() -> QuantbotStorageClient.builder().build()).isInstanceOf(IllegalStateException.class);
        try (TestingServer server = new TestingServer()) {
            assertThatThrownBy(() -> server.clientBuilder().target("127.0.0.1:1").build()).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> server.clientBuilder().tls(Path.of("ca.pem")).build()).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void builderRejectsBadValues() {
        QuantbotStorageClient.Builder builder = QuantbotStorageClient.builder();
        assertThatThrownBy(() -> builder.forAddress("localhost", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.target(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.defaultDeadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.coarseDeadline(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxInboundMessageSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, 1.0, 0.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.defaultPolicy().withJitter(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.defaultPolicy().withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2.0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
