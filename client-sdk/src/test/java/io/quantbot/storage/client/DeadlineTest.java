package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeadlineTest {
    private TestingServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    @Test
    void aCallThatNeverAnswersEndsAtTheDefaultDeadline() throws Exception {
        server.state.script.hang("Get");
        try (QuantbotStorageClient client = server.clientBuilder().defaultDeadline(Duration.ofMillis(250)).build()) {
            // The call never answers: only the deadline ends it (the 60 s cap only catches a call without one).
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(() -> client.state().get("ns", "k"))
                    .isInstanceOfSatisfying(DeadlineExceededException.class,
                            failure -> assertThat(failure.reason()).isEqualTo("UNSPECIFIED")));
            assertThat(server.deadlineByMethod.get("Get")).isLessThanOrEqualTo(Duration.ofMillis(250));
            // DEADLINE_EXCEEDED is not retried: the budget is spent.
            assertThat(server.state.script.calls("Get")).isEqualTo(1);
        }
    }

    @Test
    void theServerSeesTheDefaultAndTheCoarseDeadlines() throws Exception {
        try (QuantbotStorageClient client = server.clientBuilder()
                .defaultDeadline(Duration.ofSeconds(7))
                .coarseDeadline(Duration.ofMinutes(3))
                .build()) {
            client.state().batchGet("ns", List.of("k"));
            client.artifacts().analyzeSweep("sweep-1");
            client.artifacts().batchCreateRuns(List.of(CreateRunRequest.newBuilder().setSweepId("sweep-1").build()));
            client.artifacts().batchFinishRuns(List.of(FinishRunRequest.newBuilder().setRunId("run-1").build()));

            assertThat(server.deadlineByMethod.get("BatchGet")).isBetween(Duration.ofSeconds(6), Duration.ofSeconds(7));
            assertThat(server.deadlineByMethod.get("AnalyzeSweep")).isBetween(Duration.ofSeconds(170), Duration.ofMinutes(3));
            // BatchCreateRuns is a hot-path write; BatchFinishRuns may seal, like FinishRun.
            assertThat(server.deadlineByMethod.get("BatchCreateRuns")).isBetween(Duration.ofSeconds(6), Duration.ofSeconds(7));
            assertThat(server.deadlineByMethod.get("BatchFinishRuns")).isBetween(Duration.ofSeconds(170), Duration.ofMinutes(3));
        }
    }

    @Test
    void defaultCoarseDeadlineIsTenMinutes() throws Exception {
        try (QuantbotStorageClient client = server.clientBuilder().build()) {
            client.artifacts().getServerInfo();
            client.artifacts().importSnapshot(ImportSnapshotRequest.getDefaultInstance());

            assertThat(server.deadlineByMethod.get("GetServerInfo")).isBetween(Duration.ofSeconds(29), Duration.ofSeconds(30));
            assertThat(server.deadlineByMethod.get("ImportSnapshot")).isBetween(Duration.ofSeconds(590), Duration.ofMinutes(10));
        }
    }

    @Test
    void withDeadlineOverridesTheDefaultForOneView() throws Exception {
        server.state.script.hang("Get");
        try (QuantbotStorageClient client = server.clientBuilder().build()) {
            assertThatThrownBy(() -> client.state().withDeadline(Duration.ofMillis(150)).get("ns", "k"))
                    .isInstanceOf(DeadlineExceededException.class);

            // The server saw the override (at most 150 ms), not the 30 s default.
            assertThat(server.deadlineByMethod.get("Get")).isLessThanOrEqualTo(Duration.ofMillis(150));
        }
    }

    @Test
    void rawStubsGetTheDefaultDeadlineToo() throws Exception {
        server.state.script.hang("Get");
        try (QuantbotStorageClient client = server.clientBuilder().defaultDeadline(Duration.ofMillis(200)).build()) {
            assertThatThrownBy(() -> client.stateStub().get(GetRequest.newBuilder().setNamespace("ns").setKey("k").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            failure -> assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        }
    }

    @Test
    void aDeadlineSetOnTheStubWins() throws Exception {
        try (QuantbotStorageClient client = server.clientBuilder().defaultDeadline(Duration.ofSeconds(5)).build()) {
            server.state.put("ns", "k", "1");
            client.stateStub()
                    .withDeadline(Deadline.after(90, TimeUnit.SECONDS))
                    .get(GetRequest.newBuilder().setNamespace("ns").setKey("k").build());

            assertThat(server.deadlineByMethod.get("Get")).isGreaterThan(Duration.ofSeconds(80));
        }
    }
}
