package io.quantbot.storage.daemon.state;

import static io.quantbot.storage.daemon.testing.GrpcErrors.badRequest;
import static io.quantbot.storage.daemon.testing.GrpcErrors.errorInfo;
import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.MutableClock;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon.Transport;
import io.quantbot.storage.v1.BatchGetRequest;
import io.quantbot.storage.v1.BatchGetResponse;
import io.quantbot.storage.v1.BatchSetRequest;
import io.quantbot.storage.v1.CheckVersion;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.DeleteResponse;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.ListResponse;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.TransactionOp;
import io.quantbot.storage.v1.TransactionRequest;
import io.quantbot.storage.v1.TransactionResponse;
import io.quantbot.storage.v1.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every StatePort RPC, happy and unhappy paths, over a loopback TCP port and in-process. 
 * The contract of every storage engine: run against each one by a subclass (see EngineUnderTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StatePortContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract EngineUnderTest engine();

    private static final String SOLANA_MINT = "So11111111111111111111111111111111111111112";

    private final MutableClock clock = new MutableClock(1_767_225_600_000L);
    private TestingStorageDaemon daemon;

    @BeforeAll
    void start() throws Exception {
        daemon = engine().configure(TestingStorageDaemon.builder())
                .clock(clock)
                .set("state.max-value-size", "4KiB")
                .set("state.max-batch-size", "50")
                .set("state.max-page-size", "500")
                .build();
    }

    @AfterAll
    void stop() {
        daemon.close();
    }

    private StatePortGrpc.StatePortBlockingStub stub(Transport transport) {
        return StatePortGrpc.newBlockingStub(daemon.channel(transport)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static String ns(Transport transport, String name) {
        return name + "-" + transport.name().toLowerCase().replace('_', '-');
    }

    private static SetRequest.Builder set(String namespace, String key, String json) {
        return SetRequest.newBuilder().setNamespace(namespace).setKey(key).setValue(Value.newBuilder().setJson(json));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void setThenGetReturnsTheValueWithIncreasingVersions(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "ohlcv_ingestion");
        String key = SOLANA_MINT + ":2026-01-01:1m";
        SetResponse first = stub.set(set(namespace, key, "{\"done\": true}").build());
        clock.advance(Duration.ofSeconds(1));
        SetResponse second = stub.set(set(namespace, key, "{\"done\": false}").build());
        assertThat(second.getVersion()).isGreaterThan(first.getVersion());

        StateEntry entry = stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey(key).build()).getEntry();
        assertThat(entry.getValue().getJson()).isEqualTo("{\"done\": false}");
        assertThat(entry.getKey()).isEqualTo(key);
        assertThat(entry.getVersion()).isEqualTo(second.getVersion());
        assertThat(entry.getCreatedAtMs()).isLessThan(entry.getUpdatedAtMs());
        assertThat(entry.getExpiresAtMs()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rawBytesRoundTrip(Transport transport) {
        var stub = stub(transport);
        byte[] bytes = {0, 1, 2, (byte) 0xff, 10, 13};
        stub.set(SetRequest.newBuilder().setNamespace(ns(transport, "cache")).setKey("blob")
                .setValue(Value.newBuilder().setRaw(ByteString.copyFrom(bytes))).build());
        StateEntry entry = stub.get(GetRequest.newBuilder().setNamespace(ns(transport, "cache")).setKey("blob").build()).getEntry();
        assertThat(entry.getValue().getRaw().toByteArray()).containsExactly(bytes);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void getOfAMissingKeyIsNotFound(Transport transport) {
        StatusRuntimeException failure = expectError(
                () -> stub(transport).get(GetRequest.newBuilder().setNamespace(ns(transport, "empty")).setKey("nothing").build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertThat(errorInfo(failure).orElseThrow().getMetadataMap()).containsEntry("key", "nothing");
        assertThat(failure.getStatus().getDescription()).contains("nothing");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void badNamespacesAndKeysAreInvalidArguments(Transport transport) {
        var stub = stub(transport);
        StatusRuntimeException upper = expectError(() -> stub.set(set("Upper", "k", "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_NAMESPACE");
        assertThat(badRequest(upper).orElseThrow().getFieldViolations(0).getField()).isEqualTo("namespace");
        expectError(() -> stub.set(set("", "k", "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_NAMESPACE");
        expectError(() -> stub.set(set("n".repeat(129), "k", "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_NAMESPACE");
        expectError(() -> stub.set(set("ok", "has space", "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_KEY");
        expectError(() -> stub.set(set("ok", "", "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_KEY");
        expectError(() -> stub.set(set("ok", "k".repeat(513), "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_KEY");
        expectError(() -> stub.set(set("ok", "tab\tkey", "1").build()), Status.Code.INVALID_ARGUMENT, "INVALID_KEY");
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace("ok").setKey("ünïcode").build()), Status.Code.INVALID_ARGUMENT, "INVALID_KEY");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void badValuesAreRejected(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "values");
        StatusRuntimeException notJson = expectError(() -> stub.set(set(namespace, "k", "{not json").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_VALUE");
        assertThat(notJson.getStatus().getDescription()).contains("not valid JSON");
        expectError(() -> stub.set(set(namespace, "k", "{} {}").build()), Status.Code.INVALID_ARGUMENT, "INVALID_VALUE");
        expectError(() -> stub.set(set(namespace, "k", "").build()), Status.Code.INVALID_ARGUMENT, "INVALID_VALUE");
        expectError(() -> stub.set(SetRequest.newBuilder().setNamespace(namespace).setKey("k").build()), Status.Code.INVALID_ARGUMENT, "INVALID_VALUE");
        StatusRuntimeException tooLarge = expectError(() -> stub.set(set(namespace, "k", "\"" + "x".repeat(5000) + "\"").build()),
                Status.Code.RESOURCE_EXHAUSTED, "VALUE_TOO_LARGE");
        assertThat(errorInfo(tooLarge).orElseThrow().getMetadataMap()).containsEntry("limit_bytes", "4096");
        expectError(() -> stub.set(set(namespace, "k", "1").setTtlMs(-5).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("k").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void compareAndSet(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "cas");
        long v1 = stub.set(set(namespace, "k", "1").setExpectedVersion(0).build()).getVersion();
        StatusRuntimeException exists = expectError(() -> stub.set(set(namespace, "k", "2").setExpectedVersion(0).build()),
                Status.Code.ABORTED, "VERSION_CONFLICT");
        assertThat(errorInfo(exists).orElseThrow().getMetadataMap()).containsEntry("actual_version", Long.toString(v1))
                .containsEntry("expected_version", "0");
        expectError(() -> stub.set(set(namespace, "k", "2").setExpectedVersion(v1 + 1000).build()), Status.Code.ABORTED, "VERSION_CONFLICT");
        expectError(() -> stub.set(set(namespace, "missing", "2").setExpectedVersion(3).build()), Status.Code.ABORTED, "VERSION_CONFLICT");
        long v2 = stub.set(set(namespace, "k", "2").setExpectedVersion(v1).build()).getVersion();
        assertThat(v2).isGreaterThan(v1);
        assertThat(stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("k").build()).getEntry().getValue().getJson()).isEqualTo("2");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void batchGetKeepsOrderAndFlagsMissingKeys(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "batchget");
        stub.set(set(namespace, "a", "1").build());
        stub.set(set(namespace, "c", "3").build());
        BatchGetResponse response = stub.batchGet(BatchGetRequest.newBuilder().setNamespace(namespace).addKeys("c").addKeys("b").addKeys("a").build());
        assertThat(response.getResultsList()).extracting(r -> r.getKey() + "=" + r.getFound())
                .containsExactly("c=true", "b=false", "a=true");
        assertThat(response.getResults(0).getEntry().getValue().getJson()).isEqualTo("3");
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            tooMany.add("k" + i);
        }
        expectError(() -> stub.batchGet(BatchGetRequest.newBuilder().setNamespace(namespace).addAllKeys(tooMany).build()),
                Status.Code.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE");
        expectError(() -> stub.batchGet(BatchGetRequest.newBuilder().setNamespace(namespace).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void batchSetIsAllOrNothing(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "batchset");
        long existing = stub.set(set(namespace, "x", "0").build()).getVersion();
        var ok = stub.batchSet(BatchSetRequest.newBuilder()
                .addEntries(set(namespace, "a", "1"))
                .addEntries(set(namespace, "x", "1").setExpectedVersion(existing))
                .build());
        assertThat(ok.getResultsCount()).isEqualTo(2);

        StatusRuntimeException conflict = expectError(() -> stub.batchSet(BatchSetRequest.newBuilder()
                        .addEntries(set(namespace, "b", "1"))
                        .addEntries(set(namespace, "x", "2").setExpectedVersion(existing))
                        .build()),
                Status.Code.ABORTED, "VERSION_CONFLICT");
        assertThat(errorInfo(conflict).orElseThrow().getMetadataMap()).containsEntry("op_index", "1");
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("b").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertThat(stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("x").build()).getEntry().getValue().getJson()).isEqualTo("1");

        expectError(() -> stub.batchSet(BatchSetRequest.newBuilder()
                        .addEntries(set(namespace, "d", "1"))
                        .addEntries(set(namespace, "d", "2"))
                        .build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        StatusRuntimeException badEntry = expectError(() -> stub.batchSet(BatchSetRequest.newBuilder()
                        .addEntries(set(namespace, "e", "1"))
                        .addEntries(set(namespace, "f", "{oops"))
                        .build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_VALUE");
        assertThat(badEntry.getStatus().getDescription()).isNotBlank();
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("e").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void deleteRemovesAndVersionsNeverRepeat(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "delete");
        long v1 = stub.set(set(namespace, "k", "1").build()).getVersion();
        expectError(() -> stub.delete(DeleteRequest.newBuilder().setNamespace(namespace).setKey("k").setExpectedVersion(v1 + 1).build()),
                Status.Code.ABORTED, "VERSION_CONFLICT");
        DeleteResponse deleted = stub.delete(DeleteRequest.newBuilder().setNamespace(namespace).setKey("k").setExpectedVersion(v1).build());
        assertThat(deleted.getDeleted()).isTrue();
        assertThat(deleted.getDeletedVersion()).isEqualTo(v1);
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("k").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        DeleteResponse again = stub.delete(DeleteRequest.newBuilder().setNamespace(namespace).setKey("k").build());
        assertThat(again.getDeleted()).isFalse();
        expectError(() -> stub.delete(DeleteRequest.newBuilder().setNamespace(namespace).setKey("k").setExpectedVersion(v1).build()),
                Status.Code.ABORTED, "VERSION_CONFLICT");
        long recreated = stub.set(set(namespace, "k", "2").setExpectedVersion(0).build()).getVersion();
        assertThat(recreated).isGreaterThan(v1);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void listPagesThroughALargeNamespaceInKeyOrder(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "big");
        int total = 2_500;
        for (int start = 0; start < total; start += 50) {
            BatchSetRequest.Builder batch = BatchSetRequest.newBuilder();
            for (int i = start; i < start + 50; i++) {
                batch.addEntries(set(namespace, String.format("run:%05d", i), Integer.toString(i)));
            }
            stub.batchSet(batch.build());
        }
        stub.set(set(namespace, "other:1", "1").build());
        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListResponse page = stub.list(ListRequest.newBuilder().setNamespace(namespace).setPrefix("run:").setPageSize(300).setPageToken(token).build());
            page.getEntriesList().forEach(entry -> seen.add(entry.getKey()));
            assertThat(page.getEntriesList()).allSatisfy(entry -> assertThat(entry.hasValue()).isTrue());
            token = page.getNextPageToken();
            pages++;
        } while (!token.isEmpty());
        assertThat(pages).isEqualTo(9);
        assertThat(seen).hasSize(total).doesNotHaveDuplicates().isSorted().allMatch(key -> key.startsWith("run:"));

        ListResponse keysOnly = stub.list(ListRequest.newBuilder().setNamespace(namespace).setKeysOnly(true).setPageSize(10_000).build());
        assertThat(keysOnly.getEntriesCount()).isEqualTo(500);
        assertThat(keysOnly.getEntries(0).hasValue()).isFalse();
        assertThat(stub.list(ListRequest.newBuilder().setNamespace(namespace).build()).getEntriesCount()).isEqualTo(100);
        assertThat(stub.list(ListRequest.newBuilder().setNamespace(namespace).setPrefix("other:").build()).getEntriesList())
                .extracting(StateEntry::getKey).containsExactly("other:1");
        assertThat(stub.list(ListRequest.newBuilder().setNamespace(ns(transport, "nothing-here")).build()).getEntriesCount()).isZero();

        String firstToken = stub.list(ListRequest.newBuilder().setNamespace(namespace).setPrefix("run:").setPageSize(5).build()).getNextPageToken();
        expectError(() -> stub.list(ListRequest.newBuilder().setNamespace(namespace).setPrefix("other:").setPageToken(firstToken).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
        expectError(() -> stub.list(ListRequest.newBuilder().setNamespace(namespace).setPageToken("garbage!").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
        expectError(() -> stub.list(ListRequest.newBuilder().setNamespace(namespace).setPageSize(-1).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void transactionIsAtomicAndSeesItsOwnWrites(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "tx");
        long balance = stub.set(set(namespace, "balance", "100").build()).getVersion();
        TransactionResponse response = stub.transaction(TransactionRequest.newBuilder()
                .addOps(TransactionOp.newBuilder().setCheck(CheckVersion.newBuilder().setNamespace(namespace).setKey("balance").setVersion(balance)))
                .addOps(TransactionOp.newBuilder().setSet(set(namespace, "balance", "90")))
                .addOps(TransactionOp.newBuilder().setSet(set(namespace, "ledger:1", "{\"amount\": -10}")))
                .addOps(TransactionOp.newBuilder().setGet(GetRequest.newBuilder().setNamespace(namespace).setKey("balance")))
                .addOps(TransactionOp.newBuilder().setDelete(DeleteRequest.newBuilder().setNamespace(namespace).setKey("nothing")))
                .build());
        assertThat(response.getResultsCount()).isEqualTo(5);
        assertThat(response.getResults(0).getCheckedVersion()).isEqualTo(balance);
        assertThat(response.getResults(3).getGet().getEntry().getValue().getJson()).isEqualTo("90");
        assertThat(response.getResults(4).getDelete().getDeleted()).isFalse();

        StatusRuntimeException conflict = expectError(() -> stub.transaction(TransactionRequest.newBuilder()
                        .addOps(TransactionOp.newBuilder().setSet(set(namespace, "ledger:2", "{}")))
                        .addOps(TransactionOp.newBuilder().setDelete(DeleteRequest.newBuilder().setNamespace(namespace).setKey("ledger:1")))
                        .addOps(TransactionOp.newBuilder().setCheck(CheckVersion.newBuilder().setNamespace(namespace).setKey("balance").setVersion(balance)))
                        .build()),
                Status.Code.ABORTED, "VERSION_CONFLICT");
        assertThat(errorInfo(conflict).orElseThrow().getMetadataMap()).containsEntry("op_index", "2");
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("ledger:2").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertThat(stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("ledger:1").build()).getEntry().getValue().getJson())
                .isEqualTo("{\"amount\": -10}");

        expectError(() -> stub.transaction(TransactionRequest.newBuilder().addOps(TransactionOp.newBuilder()).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.transaction(TransactionRequest.newBuilder().build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void expiredKeysAreInvisible(Transport transport) {
        var stub = stub(transport);
        String namespace = ns(transport, "ttl");
        SetResponse set = stub.set(set(namespace, "short", "1").setTtlMs(60_000).build());
        assertThat(set.getExpiresAtMs()).isEqualTo(clock.millis() + 60_000);
        stub.set(set(namespace, "long", "1").build());
        assertThat(stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("short").build()).getEntry().getExpiresAtMs())
                .isEqualTo(set.getExpiresAtMs());
        clock.advance(Duration.ofSeconds(61));
        expectError(() -> stub.get(GetRequest.newBuilder().setNamespace(namespace).setKey("short").build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertThat(stub.list(ListRequest.newBuilder().setNamespace(namespace).build()).getEntriesList()).extracting(StateEntry::getKey)
                .containsExactly("long");
        assertThat(stub.batchGet(BatchGetRequest.newBuilder().setNamespace(namespace).addKeys("short").build()).getResults(0).getFound()).isFalse();
        // An expired key counts as absent for compare-and-set.
        stub.set(set(namespace, "short", "2").setExpectedVersion(0).build());
    }
}
