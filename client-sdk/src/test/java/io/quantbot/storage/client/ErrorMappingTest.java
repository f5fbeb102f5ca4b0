package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.quantbot.storage.v1.CandlesResult;
import io.quantbot.storage.v1.ErrorReason;
import io.quantbot.storage.v1.GetCandlesRequest;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorMappingTest {
    /** The exception type and a reason the daemon would send, for every non-OK code. */
    private static final Map<Status.Code, Class<? extends StorageException>> TYPES = new EnumMap<>(Map.ofEntries(
            Map.entry(Status.Code.CANCELLED, CancelledException.class),
            Map.entry(Status.Code.UNKNOWN, InternalException.class),
            Map.entry(Status.Code.INVALID_ARGUMENT, InvalidArgumentException.class),
            Map.entry(Status.Code.DEADLINE_EXCEEDED, DeadlineExceededException.class),
            Map.entry(Status.Code.NOT_FOUND, NotFoundException.class),
            Map.entry(Status.Code.ALREADY_EXISTS, AlreadyExistsException.class),
            Map.entry(Status.Code.PERMISSION_DENIED, PermissionDeniedException.class),
            Map.entry(Status.Code.RESOURCE_EXHAUSTED, ResourceExhaustedException.class),
            Map.entry(Status.Code.FAILED_PRECONDITION, FailedPreconditionException.class),
            Map.entry(Status.Code.ABORTED, VersionConflictException.class),
            Map.entry(Status.Code.OUT_OF_RANGE, InvalidArgumentException.class),
            Map.entry(Status.Code.UNIMPLEMENTED, UnimplementedException.class),
            Map.entry(Status.Code.INTERNAL, InternalException.class),
            Map.entry(Status.Code.UNAVAILABLE, UnavailableException.class),
            Map.entry(Status.Code.DATA_LOSS, InternalException.class),
            Map.entry(Status.Code.UNAUTHENTICATED, UnauthenticatedException.class)));

    private static final Map<Status.Code, ErrorReason> REASONS = new EnumMap<>(Map.ofEntries(
            Map.entry(Status.Code.CANCELLED, ErrorReason.ERROR_REASON_CANCELLED),
            Map.entry(Status.Code.INVALID_ARGUMENT, ErrorReason.ERROR_REASON_INVALID_NAMESPACE),
            Map.entry(Status.Code.DEADLINE_EXCEEDED, ErrorReason.ERROR_REASON_DEADLINE_EXCEEDED),
            Map.entry(Status.Code.NOT_FOUND, ErrorReason.ERROR_REASON_RUN_NOT_FOUND),
            Map.entry(Status.Code.PERMISSION_DENIED, ErrorReason.ERROR_REASON_PERMISSION_DENIED),
            Map.entry(Status.Code.RESOURCE_EXHAUSTED, ErrorReason.ERROR_REASON_VALUE_TOO_LARGE),
            Map.entry(Status.Code.FAILED_PRECONDITION, ErrorReason.ERROR_REASON_RUN_NOT_OPEN),
            Map.entry(Status.Code.ABORTED, ErrorReason.ERROR_REASON_VERSION_CONFLICT),
            Map.entry(Status.Code.UNIMPLEMENTED, ErrorReason.ERROR_REASON_NOT_IMPLEMENTED),
            Map.entry(Status.Code.INTERNAL, ErrorReason.ERROR_REASON_WORKER_FAILED),
            Map.entry(Status.Code.UNAVAILABLE, ErrorReason.ERROR_REASON_STORAGE_UNAVAILABLE),
            Map.entry(Status.Code.UNAUTHENTICATED, ErrorReason.ERROR_REASON_UNAUTHENTICATED)));

    private TestingServer server;
    private QuantbotStorageClient client;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
        client = server.clientBuilder().retryPolicy(RetryPolicy.noRetries()).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void everyStatusCodeHasAType() {
        assertThat(TYPES.keySet()).containsExactlyInAnyOrderElementsOf(
                Stream.of(Status.Code.values()).filter(code -> code != Status.Code.OK).toList());
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = "OK", mode = EnumSource.Mode.EXCLUDE)
    void statusWithErrorInfoMapsToTypeReasonAndMetadata(Status.Code code) {
        ErrorReason expectedReason = REASONS.getOrDefault(code, ErrorReason.ERROR_REASON_INTERNAL);
        String reason = expectedReason.name().substring("ERROR_REASON_".length());
        server.state.script.failNext("BatchGet", Errors.error(code, reason, "failure " + code,
                Map.of("namespace", "ns", "key", "k")));

        assertThatThrownBy(() -> client.state().batchGet("ns", List.of("k")))
                .isExactlyInstanceOf(TYPES.get(code))
                .isInstanceOfSatisfying(StorageException.class, failure -> {
                    assertThat(failure.code()).isEqualTo(code);
                    assertThat(failure.reason()).isEqualTo(reason);
                    assertThat(failure.errorReason()).isEqualTo(expectedReason);
                    assertThat(failure.error().domain()).isEqualTo("quantbot.storage");
                    assertThat(failure.description()).isEqualTo("failure " + code);
                    assertThat(failure.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("namespace", "ns", "key", "k"));
                    assertThat(failure.metadataValue("key")).hasValue("k");
                    assertThat(failure.getMessage()).contains(code.name(), reason, "failure " + code);
                });
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = "OK", mode = EnumSource.Mode.EXCLUDE)
    void statusWithoutDetailsMapsToTypeWithUnspecifiedReason(Status.Code code) {
        server.state.script.failNext("BatchGet", Errors.plain(code));

        assertThatThrownBy(() -> client.state().batchGet("ns", List.of("k")))
                .isExactlyInstanceOf(TYPES.get(code))
                .isInstanceOfSatisfying(StorageException.class, failure -> {
                    assertThat(failure.code()).isEqualTo(code);
                    assertThat(failure.reason()).isEqualTo("UNSPECIFIED");
                    assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_UNSPECIFIED);
                    assertThat(failure.metadata()).isEmpty();
                    assertThat(failure.fieldViolations()).isEmpty();
                    assertThat(failure.retryDelay()).isEmpty();
                    assertThat(failure.description()).isEqualTo("plain " + code);
                });
    }

    @Test
    void badRequestViolationsAreDecoded() {
        server.state.script.failNext("Set", Errors.invalidArgument("INVALID_VALUE", "value.json", "does not parse"));

        assertThatThrownBy(() -> client.state().setJson("ns", "k", "{not json"))
                .isInstanceOfSatisfying(InvalidArgumentException.class, failure -> {
                    assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_INVALID_VALUE);
                    assertThat(failure.fieldViolations())
                            .containsExactly(new FieldViolation("value.json", "does not parse", "INVALID_VALUE"));
                });
    }

    @Test
    void retryInfoIsDecoded() {
        server.state.script.failNext("Set", Errors.queueFull(Duration.ofMillis(1500)));

        assertThatThrownBy(() -> client.state().setJson("ns", "k", "1"))
                .isInstanceOfSatisfying(ResourceExhaustedException.class, failure -> {
                    assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_QUEUE_FULL);
                    assertThat(failure.retryDelay()).hasValue(Duration.ofMillis(1500));
                });
    }

    @Test
    void unknownReasonIsKeptAsTextWithUnspecifiedEnum() {
        server.state.script.failNext("BatchGet", Errors.error(Status.Code.FAILED_PRECONDITION, "SOMETHING_NEWER"));

        assertThatThrownBy(() -> client.state().batchGet("ns", List.of("k")))
                .isInstanceOfSatisfying(FailedPreconditionException.class, failure -> {
                    assertThat(failure.reason()).isEqualTo("SOMETHING_NEWER");
                    assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_UNSPECIFIED);
                });
    }

    @Test
    void statusProtoInsideAResponseMapsTheSameWay() {
        List<CandlesResult> results = client.artifacts().batchGetCandles(List.of(
                GetCandlesRequest.newBuilder().setToken("So11111111111111111111111111111111111111112").setChain("solana").setInterval("1m").build(),
                GetCandlesRequest.newBuilder().setToken("unknown").setChain("solana").setInterval("1m").build()));

        assertThat(results.get(0).hasCandles()).isTrue();
        assertThat(results.get(1).hasError()).isTrue();
        StorageException failure = StorageExceptions.fromStatusProto(results.get(1).getError());
        assertThat(failure).isInstanceOf(NotFoundException.class);
        assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_CANDLES_NOT_FOUND);
        assertThat(failure.metadata()).containsEntry("token", "unknown");
    }

    @Test
    void nonGrpcThrowableBecomesInternal() {
        StorageException failure = StorageExceptions.from(new IllegalStateException("boom"));

        assertThat(failure).isInstanceOf(InternalException.class);
        assertThat(failure.code()).isEqualTo(Status.Code.UNKNOWN);
        assertThat(failure.getCause()).hasMessage("boom");
    }

    @Test
    void okIsNotAnError() {
        assertThatThrownBy(() -> StorageExceptions.create(StorageError.of(Status.Code.OK, ""), null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
