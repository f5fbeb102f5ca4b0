package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.v1.BatchGetResult;
import io.quantbot.storage.v1.ErrorReason;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.TransactionOpResult;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StateClientTest {
    private static final String NAMESPACE = "ohlcv_ingestion";
    private static final String MINT_KEY = "So11111111111111111111111111111111111111112:2024-05-01:1m";

    private TestingServer server;
    private QuantbotStorageClient client;
    private StateClient state;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
        client = server.clientBuilder().build();
        state = client.state();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void getReturnsTheEntry() {
        server.state.put(NAMESPACE, MINT_KEY, "{\"done\":true}");

        Optional<StateEntry> entry = state.get(NAMESPACE, MINT_KEY);

        assertThat(entry).isPresent();
        assertThat(entry.get().getKey()).isEqualTo(MINT_KEY);
        assertThat(entry.get().getValue().getJson()).isEqualTo("{\"done\":true}");
        assertThat(entry.get().getVersion()).isEqualTo(1);
    }

    @Test
    void getOfAMissingKeyIsEmpty() {
        assertThat(state.get(NAMESPACE, "missing")).isEmpty();
        assertThat(server.state.script.calls("Get")).isEqualTo(1);
    }

    @Test
    void getThrowsEveryErrorOtherThanNotFound() {
        server.state.script.failNext("Get", Errors.invalidArgument("INVALID_KEY", "key", "contains a space"));

        assertThatThrownBy(() -> state.get(NAMESPACE, "bad key"))
                .isInstanceOfSatisfying(InvalidArgumentException.class, failure -> {
                    assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_INVALID_KEY);
                    assertThat(failure.fieldViolations()).containsExactly(new FieldViolation("key", "contains a space", "INVALID_KEY"));
                });
    }

    @Test
    void batchGetKeepsRequestOrderAndFlagsMissingKeys() {
        server.state.put(NAMESPACE, "a", "1");
        server.state.put(NAMESPACE, "c", "3");

        List<BatchGetResult> results = state.batchGet(NAMESPACE, List.of("c", "b", "a"));

        assertThat(results).extracting(BatchGetResult::getKey).containsExactly("c", "b", "a");
        assertThat(results).extracting(BatchGetResult::getFound).containsExactly(true, false, true);
        assertThat(results.get(0).getEntry().getValue().getJson()).isEqualTo("3");
    }

    @Test
    void setReturnsIncreasingVersionsAndSendsTheTtl() {
        long first = state.set(NAMESPACE, "k", Values.raw(new byte[] {1, 2, 3}));
        long second = state.set(NAMESPACE, "k", Values.json("{}"), Duration.ofDays(7));

        assertThat(second).isGreaterThan(first);
        StateEntry entry = state.get(NAMESPACE, "k").orElseThrow();
        assertThat(entry.getVersion()).isEqualTo(second);
        assertThat(entry.getExpiresAtMs() - entry.getUpdatedAtMs()).isEqualTo(Duration.ofDays(7).toMillis());
    }

    @Test
    void setJsonStoresJson() {
        long version = state.setJson(NAMESPACE, "k", "{\"a\":1}");
        long withTtl = state.setJson(NAMESPACE, "t", "[]", Duration.ofSeconds(5));

        assertThat(state.get(NAMESPACE, "k").orElseThrow().getValue().getJson()).isEqualTo("{\"a\":1}");
        assertThat(state.get(NAMESPACE, "t").orElseThrow().getExpiresAtMs()).isPositive();
        assertThat(withTtl).isGreaterThan(version);
    }

    @Test
    void setRejectsANegativeTtl() {
        assertThatThrownBy(() -> state.set(NAMESPACE, "k", Values.json("1"), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(server.state.script.calls("Set")).isZero();
    }

    @Test
    void compareAndSetWritesOnlyAtTheExpectedVersion() {
        long created = state.compareAndSet(NAMESPACE, "counter", Values.json("1"), 0);
        long updated = state.compareAndSet(NAMESPACE, "counter", Values.json("2"), created);

        assertThat(updated).isGreaterThan(created);
        assertThatThrownBy(() -> state.compareAndSet(NAMESPACE, "counter", Values.json("3"), created))
                .isInstanceOfSatisfying(VersionConflictException.class, conflict -> {
                    assertThat(conflict.reason()).isEqualTo("VERSION_CONFLICT");
                    assertThat(conflict.expectedVersion()).hasValue(created);
                    assertThat(conflict.actualVersion()).hasValue(updated);
                    assertThat(conflict.metadata()).containsEntry("key", "counter");
                });
        assertThat(state.get(NAMESPACE, "counter").orElseThrow().getValue().getJson()).isEqualTo("2");
    }

    @Test
    void batchSetAppliesAllEntries() {
        List<SetResponse> results = state.batchSet(List.of(
                SetRequest.newBuilder().setNamespace(NAMESPACE).setKey("a").setValue(Values.json("1")).build(),
                SetRequest.newBuilder().setNamespace(NAMESPACE).setKey("b").setValue(Values.json("2")).build()));

        assertThat(results).hasSize(2);
        assertThat(results.get(1).getVersion()).isGreaterThan(results.get(0).getVersion());
        assertThat(server.state.keys()).containsExactly(NAMESPACE + "/a", NAMESPACE + "/b");
    }

    @Test
    void batchSetConflictNamesTheEntry() {
        assertThatThrownBy(() -> state.batchSet(List.of(
                SetRequest.newBuilder().setNamespace(NAMESPACE).setKey("a").setValue(Values.json("1")).build(),
                SetRequest.newBuilder().setNamespace(NAMESPACE).setKey("b").setValue(Values.json("2")).setExpectedVersion(9).build())))
                .isInstanceOfSatisfying(VersionConflictException.class,
                        conflict -> assertThat(conflict.operationIndex()).hasValue(1));
        assertThat(server.state.keys()).isEmpty();
    }

    @Test
    void deleteTellsWhetherTheKeyExisted() {
        long version = state.setJson(NAMESPACE, "k", "1");

        assertThat(state.delete(NAMESPACE, "k")).isTrue();
        assertThat(state.delete(NAMESPACE, "k")).isFalse();

        state.setJson(NAMESPACE, "v", "1");
        assertThatThrownBy(() -> state.delete(NAMESPACE, "v", version)).isInstanceOf(VersionConflictException.class);
        assertThat(state.delete(NAMESPACE, "v", server.state.versionOf(NAMESPACE, "v"))).isTrue();
    }

    @Test
    void listPagesLazilyThroughThreePages() {
        for (int index = 0; index < 5; index++) {
            server.state.put(NAMESPACE, "sweep-1/scenario-" + index, Integer.toString(index));
        }
        server.state.put(NAMESPACE, "sweep-2/scenario-0", "other prefix");
        server.state.put("other", "sweep-1/scenario-9", "other namespace");

        Stream<StateEntry> listing = state.list(ListRequest.newBuilder()
                .setNamespace(NAMESPACE)
                .setPrefix("sweep-1/")
                .setPageSize(2)
                .build());
        assertThat(server.state.listRequests).isEmpty();

        Iterator<StateEntry> entries = listing.iterator();
        assertThat(entries.next().getKey()).isEqualTo("sweep-1/scenario-0");
        assertThat(server.state.listRequests).hasSize(1);
        assertThat(entries.next().getKey()).isEqualTo("sweep-1/scenario-1");
        assertThat(server.state.listRequests).hasSize(1);
        assertThat(entries.next().getKey()).isEqualTo("sweep-1/scenario-2");
        assertThat(server.state.listRequests).hasSize(2);

        List<String> rest = Stream.generate(() -> entries)
                .takeWhile(Iterator::hasNext)
                .map(iterator -> iterator.next().getKey())
                .toList();
        assertThat(rest).containsExactly("sweep-1/scenario-3", "sweep-1/scenario-4");
        assertThat(server.state.listRequests).hasSize(3);
        assertThat(server.state.listRequests.get(0).getPageToken()).isEmpty();
        assertThat(server.state.listRequests.get(1).getPageToken()).isNotEmpty();
        assertThat(server.state.listRequests.get(2).getPageToken()).isNotEmpty();
        assertThat(server.state.listRequests).allSatisfy(request -> assertThat(request.getPageSize()).isEqualTo(2));
    }

    @Test
    void listByPrefixAndIterator() {
        server.state.put(NAMESPACE, "a/1", "1");
        server.state.put(NAMESPACE, "a/2", "2");
        server.state.put(NAMESPACE, "b/1", "3");

        assertThat(state.list(NAMESPACE, "a/").map(StateEntry::getKey)).containsExactly("a/1", "a/2");
        assertThat(state.list(NAMESPACE, "")).hasSize(3);
        assertThat(state.list(NAMESPACE, "zzz")).isEmpty();

        Iterator<StateEntry> iterator = state.listIterator(NAMESPACE, "b/");
        assertThat(iterator.next().getKey()).isEqualTo("b/1");
        assertThat(iterator.hasNext()).isFalse();
    }

    @Test
    void transactionReturnsOneResultPerOperation() {
        long lockVersion = state.setJson("sweeps", "sweep-42/lock", "\"me\"");
        state.setJson("sweeps", "sweep-42/pending", "[1]");

        List<TransactionOpResult> results = state.transaction()
                .check("sweeps", "sweep-42/lock", lockVersion)
                .set("sweeps", "sweep-42/done", Values.json("[\"s1\"]"))
                .get("sweeps", "sweep-42/done")
                .delete("sweeps", "sweep-42/pending")
                .commit();

        assertThat(results).hasSize(4);
        assertThat(results.get(0).getCheckedVersion()).isEqualTo(lockVersion);
        assertThat(results.get(1).getSet().getVersion()).isPositive();
        assertThat(results.get(2).getGet().getEntry().getValue().getJson()).isEqualTo("[\"s1\"]");
        assertThat(results.get(3).getDelete().getDeleted()).isTrue();
    }

    @Test
    void transactionIsAllOrNothing() {
        long lockVersion = state.setJson("sweeps", "lock", "1");

        StateTransaction transaction = state.transaction()
                .set("sweeps", "written", Values.json("1"))
                .compareAndSet("sweeps", "lock", Values.json("2"), lockVersion)
                .check("sweeps", "lock", lockVersion);

        assertThatThrownBy(transaction::commit)
                .isInstanceOfSatisfying(VersionConflictException.class,
                        conflict -> assertThat(conflict.operationIndex()).hasValue(2));
        assertThat(state.get("sweeps", "written")).isEmpty();
        assertThat(server.state.script.calls("Transaction")).isEqualTo(1);
    }

    @Test
    void emptyTransactionIsRejectedLocally() {
        assertThatThrownBy(() -> state.transaction().commit()).isInstanceOf(IllegalStateException.class);
    }
}
