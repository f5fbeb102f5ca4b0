package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SetRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RetryTest {
    private TestingServer server;
    private final List<Duration> waits = new CopyOnWriteArrayList<>();
    private QuantbotStorageClient client;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
        client = server.clientBuilder().sleeper(waits::add).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void idempotentCallIsRetriedUntilItSucceeds() {
        server.state.put("ns", "k", "1");
        server.state.script.failNext("Get", Errors.plain(Status.Code.UNAVAILABLE), Errors.error(Status.Code.UNAVAILABLE, "SHUTTING_DOWN"));

        assertThat(client.state().get("ns", "k")).isPresent();

        assertThat(server.state.script.calls("Get")).isEqualTo(3);
        // Default policy: 50 ms then 100 ms, each shortened by at most 20% jitter.
        assertThat(waits).hasSize(2);
        assertThat(waits.get(0)).isBetween(Duration.ofMillis(40), Duration.ofMillis(50));
        assertThat(waits.get(1)).isBetween(Duration.ofMillis(80), Duration.ofMillis(100));
    }

    @Test
    void everyIdempotentArtifactCallIsRetried() {
        server.artifacts.addRun("run-1", "sweep");
        server.artifacts.script.failNext("GetServerInfo", Errors.plain(Status.Code.UNAVAILABLE));
        server.artifacts.script.failNext("GetRun", Errors.plain(Status.Code.UNAVAILABLE));
        server.artifacts.script.failNext("ListRuns", Errors.plain(Status.Code.UNAVAILABLE));

        assertThat(client.artifacts().getServerInfo().getVersion()).isEqualTo("0.1.0-fake");
        assertThat(client.artifacts().getRun("run-1")).isPresent();
        assertThat(client.artifacts().listRuns("sweep")).hasSize(1);

        assertThat(server.artifacts.script.calls("GetServerInfo")).isEqualTo(2);
        assertThat(server.artifacts.script.calls("GetRun")).isEqualTo(2);
        assertThat(server.artifacts.script.calls("ListRuns")).isEqualTo(2);
    }

    @Test
    void setIsNeverRetried() {
        server.state.script.failNext("Set", Errors.plain(Status.Code.UNAVAILABLE));

        assertThatThrownBy(() -> client.state().setJson("ns", "k", "1")).isInstanceOf(UnavailableException.class);

        assertThat(server.state.script.calls("Set")).isEqualTo(1);
        assertThat(waits).isEmpty();
    }

    @Test
    void noWriteIsRetried() {
        RuntimeException unavailable = Errors.plain(Status.Code.UNAVAILABLE);
        server.state.script.failAlways("BatchSet", unavailable);
        server.state.script.failAlways("Delete", unavailable);
        server.state.script.failAlways("Transaction", unavailable);
        server.artifacts.script.failAlways("CreateRun", unavailable);
        server.artifacts.script.failAlways("FinishRun", unavailable);
        server.artifacts.script.failAlways("BatchCreateRuns", unavailable);
        server.artifacts.script.failAlways("BatchFinishRuns", unavailable);
        server.artifacts.script.failAlways("AnalyzeSweep", unavailable);

        SetRequest entry = SetRequest.newBuilder().setNamespace("ns").setKey("k").setValue(Values.json("1")).build();
        assertThatThrownBy(() -> client.state().batchSet(List.of(entry))).isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.state().delete("ns", "k")).isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.state().transaction().set(entry).commit()).isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.artifacts().createRun(CreateRunRequest.newBuilder().setSweepId("s").build()))
                .isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.artifacts().finishRun("run-1", RunStatus.RUN_STATUS_SUCCEEDED))
                .isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.artifacts().batchCreateRuns(List.of(CreateRunRequest.newBuilder().setSweepId("s").build())))
                .isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.artifacts().batchFinishRuns(List.of(FinishRunRequest.newBuilder().setRunId("run-1").build())))
                .isInstanceOf(UnavailableException.class);
        assertThatThrownBy(() -> client.artifacts().analyzeSweep("s")).isInstanceOf(UnavailableException.class);

        assertThat(List.of(
                server.state.script.calls("BatchSet"),
                server.state.script.calls("Delete"),
                server.state.script.calls("Transaction"),
                server.artifacts.script.calls("CreateRun"),
                server.artifacts.script.calls("FinishRun"),
                server.artifacts.script.calls("BatchCreateRuns"),
                server.artifacts.script.calls("BatchFinishRuns"),
                server.artifacts.script.calls("AnalyzeSweep"))).containsOnly(1);
        assertThat(waits).isEmpty();
    }

    @Test
    void retriesStopAtMaxAttempts() {
        server.state.script.failAlways("List", Errors.plain(Status.Code.UNAVAILABLE));

        assertThatThrownBy(() -> client.state().listPage(ListRequest.newBuilder().setNamespace("ns").build()))
                .isInstanceOfSatisfying(UnavailableException.class,
                        failure -> assertThat(failure.getSuppressed()).hasSize(3));

        assertThat(server.state.script.calls("List")).isEqualTo(4);
        assertThat(waits).hasSize(3);
    }

    @Test
    void maxAttemptsIsConfigurable() throws Exception {
        try (QuantbotStorageClient twoAttempts = server.clientBuilder()
                .sleeper(waits::add)
                .retryPolicy(RetryPolicy.defaultPolicy().withMaxAttempts(2))
                .build()) {
            server.state.script.failAlways("Get", Errors.plain(Status.Code.UNAVAILABLE));

            assertThatThrownBy(() -> twoAttempts.state().get("ns", "k")).isInstanceOf(UnavailableException.class);

            assertThat(server.state.script.calls("Get")).isEqualTo(2);
        }
    }

    @Test
    void backoffGrowsAndIsCapped() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofMillis(50), Duration.ofMillis(300), 2.0, 0.0);

        assertThat(List.of(policy.backoffAfter(1), policy.backoffAfter(2), policy.backoffAfter(3), policy.backoffAfter(4), policy.backoffAfter(9)))
                .containsExactly(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300), Duration.ofMillis(300));
    }

    @Test
    void resourceExhaustedWithRetryInfoIsRetriedAfterTheRequestedDelay() {
        server.state.put("ns", "k", "1");
        server.state.script.failNext("Get", Errors.queueFull(Duration.ofMillis(750)));

        assertThat(client.state().get("ns", "k")).isPresent();

        assertThat(server.state.script.calls("Get")).isEqualTo(2);
        assertThat(waits).containsExactly(Duration.ofMillis(750));
    }

    @Test
    void resourceExhaustedWithRetryInfoIsHonouredInRealTime() throws Exception {
        try (QuantbotStorageClient sleeping = server.clientBuilder().build()) {
            server.state.put("ns", "k", "1");
            server.state.script.failNext("Get", Errors.queueFull(Duration.ofMillis(300)));

            long started = System.nanoTime();
            assertThat(sleeping.state().get("ns", "k")).isPresent();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(server.state.script.calls("Get")).isEqualTo(2);
        }
    }

    @Test
    void resourceExhaustedWithoutRetryInfoIsNotRetried() {
        server.state.script.failNext("Get", Errors.error(Status.Code.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE"));

        assertThatThrownBy(() -> client.state().get("ns", "k")).isInstanceOf(ResourceExhaustedException.class);

        assertThat(server.state.script.calls("Get")).isEqualTo(1);
        assertThat(waits).isEmpty();
    }

    @Test
    void otherCodesAreNotRetried() {
        server.state.script.failNext("BatchGet", Errors.plain(Status.Code.INTERNAL));

        assertThatThrownBy(() -> client.state().batchGet("ns", List.of("k"))).isInstanceOf(InternalException.class);

        assertThat(server.state.script.calls("BatchGet")).isEqualTo(1);
    }

    @Test
    void retriesStopAtTheOverallDeadline() throws Exception {
        // Fake time: the deadline counts on a ticker that only the waits between attempts move (20 s each, so the
        // real time an attempt takes never matters). After 14 waits 20 s are left, and the next wait would use them all.
        RetryPolicy manyAttempts = new RetryPolicy(1_000, Duration.ofSeconds(20), Duration.ofSeconds(20), 1.0, 0.0);
        java.util.concurrent.atomic.AtomicLong fakeNanos = new java.util.concurrent.atomic.AtomicLong();
        List<Duration> fakeWaits = new CopyOnWriteArrayList<>();
        io.grpc.Deadline.Ticker ticker = new io.grpc.Deadline.Ticker() {
            @Override
            public long nanoTime() {
                return fakeNanos.get();
            }
        };
        try (QuantbotStorageClient bounded = server.clientBuilder()
                .retryPolicy(manyAttempts)
                .defaultDeadline(Duration.ofSeconds(300))
                .ticker(ticker)
                .sleeper(wait -> {
                    fakeWaits.add(wait);
                    fakeNanos.addAndGet(wait.toNanos());
                })
                .build()) {
            server.state.script.failAlways("Get", Errors.plain(Status.Code.UNAVAILABLE));

            assertThatThrownBy(() -> bounded.state().get("ns", "k"))
                    .isInstanceOf(UnavailableException.class)
                    .satisfies(failure -> assertThat(failure.getSuppressed()).hasSize(14));

            assertThat(server.state.script.calls("Get")).isEqualTo(15);
            assertThat(fakeWaits).hasSize(14).containsOnly(Duration.ofSeconds(20));
        }
    }

    @Test
    void retryInfoLongerThanTheDeadlineEndsTheCallAtOnce() throws Exception {
        try (QuantbotStorageClient bounded = server.clientBuilder().defaultDeadline(Duration.ofSeconds(10)).sleeper(waits::add).build()) {
            server.state.script.failNext("Get", Errors.queueFull(Duration.ofSeconds(30)));

            assertThatThrownBy(() -> bounded.state().get("ns", "k"))
                    .isInstanceOfSatisfying(ResourceExhaustedException.class,
                            failure -> assertThat(failure.retryDelay()).hasValue(Duration.ofSeconds(30)));

            // The 30 s delay is not waited out (it would pass the 10 s deadline): no wait at all.
            assertThat(waits).isEmpty();
            assertThat(server.state.script.calls("Get")).isEqualTo(1);
        }
    }
}
