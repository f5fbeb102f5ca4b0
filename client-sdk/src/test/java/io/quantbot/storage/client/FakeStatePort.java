package io.quantbot.storage.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.v1.BatchGetRequest;
import io.quantbot.storage.v1.BatchGetResponse;
import io.quantbot.storage.v1.BatchGetResult;
import io.quantbot.storage.v1.BatchSetRequest;
import io.quantbot.storage.v1.BatchSetResponse;
import io.quantbot.storage.v1.CheckVersion;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.DeleteResponse;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.GetResponse;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.ListResponse;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.TransactionOp;
import io.quantbot.storage.v1.TransactionOpResult;
import io.quantbot.storage.v1.TransactionRequest;
import io.quantbot.storage.v1.TransactionResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory StatePort that behaves like the contract says (versions from one counter,
 * compare-and-set, atomic transactions, paging by key), with scripted failures on top.
 */
final class FakeStatePort extends StatePortGrpc.StatePortImplBase {
    final ScriptedCalls script = new ScriptedCalls();
    final List<ListRequest> listRequests = new CopyOnWriteArrayList<>();

    private final NavigableMap<String, StateEntry> entries = new TreeMap<>();
    private long lastVersion;
    private long now = 1_700_000_000_000L;

    @Override
    public synchronized void get(GetRequest request, StreamObserver<GetResponse> observer) {
        if (script.intercepted("Get", observer)) {
            return;
        }
        StateEntry entry = entries.get(id(request.getNamespace(), request.getKey()));
        if (entry == null) {
            observer.onError(Errors.error(Status.Code.NOT_FOUND, "KEY_NOT_FOUND", "no such key",
                    Map.of("namespace", request.getNamespace(), "key", request.getKey())));
            return;
        }
        observer.onNext(GetResponse.newBuilder().setEntry(entry).build());
        observer.onCompleted();
    }

    @Override
    public synchronized void batchGet(BatchGetRequest request, StreamObserver<BatchGetResponse> observer) {
        if (script.intercepted("BatchGet", observer)) {
            return;
        }
        BatchGetResponse.Builder response = BatchGetResponse.newBuilder();
        for (String key : request.getKeysList()) {
            response.addResults(lookup(request.getNamespace(), key));
        }
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public synchronized void set(SetRequest request, StreamObserver<SetResponse> observer) {
        if (script.intercepted("Set", observer)) {
            return;
        }
        try {
            checkExpected(request, 0);
            observer.onNext(apply(request));
            observer.onCompleted();
        }
        catch (StatusRuntimeException conflict) {
            observer.onError(conflict);
        }
    }

    @Override
    public synchronized void batchSet(BatchSetRequest request, StreamObserver<BatchSetResponse> observer) {
        if (script.intercepted("BatchSet", observer)) {
            return;
        }
        try {
            for (int index = 0; index < request.getEntriesCount(); index++) {
                checkExpected(request.getEntries(index), index);
            }
            BatchSetResponse.Builder response = BatchSetResponse.newBuilder();
            request.getEntriesList().forEach(entry -> response.addResults(apply(entry)));
            observer.onNext(response.build());
            observer.onCompleted();
        }
        catch (StatusRuntimeException conflict) {
            observer.onError(conflict);
        }
    }

    @Override
    public synchronized void delete(DeleteRequest request, StreamObserver<DeleteResponse> observer) {
        if (script.intercepted("Delete", observer)) {
            return;
        }
        try {
            observer.onNext(deleteEntry(request, 0));
            observer.onCompleted();
        }
        catch (StatusRuntimeException conflict) {
            observer.onError(conflict);
        }
    }

    @Override
    public synchronized void list(ListRequest request, StreamObserver<ListResponse> observer) {
        listRequests.add(request);
        if (script.intercepted("List", observer)) {
            return;
        }
        int pageSize = request.getPageSize() == 0 ? 100 : request.getPageSize();
        String prefix = id(request.getNamespace(), request.getPrefix());
        // The page token is the last id of the previous page.
        NavigableMap<String, StateEntry> rest = request.getPageToken().isEmpty()
                ? entries.tailMap(prefix, true)
                : entries.tailMap(request.getPageToken(), false);
        ListResponse.Builder response = ListResponse.newBuilder();
        String lastId = "";
        boolean more = false;
        for (Map.Entry<String, StateEntry> entry : rest.entrySet()) {
            if (!entry.getKey().startsWith(prefix)) {
                break;
            }
            if (response.getEntriesCount() == pageSize) {
                more = true;
                break;
            }
            StateEntry value = entry.getValue();
            response.addEntries(request.getKeysOnly() ? value.toBuilder().clearValue().build() : value);
            lastId = entry.getKey();
        }
        observer.onNext(response.setNextPageToken(more ? lastId : "").build());
        observer.onCompleted();
    }

    @Override
    public synchronized void transaction(TransactionRequest request, StreamObserver<TransactionResponse> observer) {
        if (script.intercepted("Transaction", observer)) {
            return;
        }
        NavigableMap<String, StateEntry> before = new TreeMap<>(entries);
        long versionBefore = lastVersion;
        try {
            TransactionResponse.Builder response = TransactionResponse.newBuilder();
            for (int index = 0; index < request.getOpsCount(); index++) {
                TransactionOp op = request.getOps(index);
                TransactionOpResult.Builder result = TransactionOpResult.newBuilder();
                switch (op.getOpCase()) {
                    case GET -> result.setGet(lookup(op.getGet().getNamespace(), op.getGet().getKey()));
                    case SET -> {
                        checkExpected(op.getSet(), index);
                        result.setSet(apply(op.getSet()));
                    }
                    case DELETE -> result.setDelete(deleteEntry(op.getDelete(), index));
                    case CHECK -> {
                        CheckVersion check = op.getCheck();
                        long actual = versionOf(check.getNamespace(), check.getKey());
                        if (actual != check.getVersion()) {
                            throw conflict(check.getNamespace(), check.getKey(), check.getVersion(), actual, index);
                        }
                        result.setCheckedVersion(actual);
                    }
                    case OP_NOT_SET -> throw Errors.invalidArgument("INVALID_ARGUMENT", "ops[" + index + "]", "empty op");
                }
                response.addResults(result);
            }
            observer.onNext(response.build());
            observer.onCompleted();
        }
        catch (StatusRuntimeException failure) {
            entries.clear();
            entries.putAll(before);
            lastVersion = versionBefore;
            observer.onError(failure);
        }
    }

    synchronized void put(String namespace, String key, String json) {
        apply(SetRequest.newBuilder().setNamespace(namespace).setKey(key).setValue(Values.json(json)).build());
    }

    synchronized long versionOf(String namespace, String key) {
        StateEntry entry = entries.get(id(namespace, key));
        return entry == null ? 0 : entry.getVersion();
    }

    synchronized List<String> keys() {
        List<String> keys = new ArrayList<>();
        entries.values().forEach(entry -> keys.add(entry.getNamespace() + "/" + entry.getKey()));
        return keys;
    }

    private BatchGetResult lookup(String namespace, String key) {
        StateEntry entry = entries.get(id(namespace, key));
        BatchGetResult.Builder result = BatchGetResult.newBuilder().setKey(key).setFound(entry != null);
        if (entry != null) {
            result.setEntry(entry);
        }
        return result.build();
    }

    private void checkExpected(SetRequest request, int index) {
        if (request.hasExpectedVersion()) {
            long actual = versionOf(request.getNamespace(), request.getKey());
            if (actual != request.getExpectedVersion()) {
                throw conflict(request.getNamespace(), request.getKey(), request.getExpectedVersion(), actual, index);
            }
        }
    }

    private SetResponse apply(SetRequest request) {
        long version = ++lastVersion;
        now++;
        StateEntry previous = entries.get(id(request.getNamespace(), request.getKey()));
        long expiresAt = request.getTtlMs() == 0 ? 0 : now + request.getTtlMs();
        StateEntry entry = StateEntry.newBuilder()
                .setNamespace(request.getNamespace())
                .setKey(request.getKey())
                .setValue(request.getValue())
                .setVersion(version)
                .setCreatedAtMs(previous == null ? now : previous.getCreatedAtMs())
                .setUpdatedAtMs(now)
                .setExpiresAtMs(expiresAt)
                .build();
        entries.put(id(request.getNamespace(), request.getKey()), entry);
        return SetResponse.newBuilder().setVersion(version).setExpiresAtMs(expiresAt).build();
    }

    private DeleteResponse deleteEntry(DeleteRequest request, int index) {
        long actual = versionOf(request.getNamespace(), request.getKey());
        if (request.hasExpectedVersion() && actual != request.getExpectedVersion()) {
            throw conflict(request.getNamespace(), request.getKey(), request.getExpectedVersion(), actual, index);
        }
        entries.remove(id(request.getNamespace(), request.getKey()));
        return DeleteResponse.newBuilder().setDeleted(actual != 0).setDeletedVersion(actual).build();
    }

    private static StatusRuntimeException conflict(String namespace, String key, long expected, long actual, int index) {
        return Errors.error(Status.Code.ABORTED, "VERSION_CONFLICT", "version conflict on " + key, Map.of(
                "namespace", namespace,
                "key", key,
                "expected_version", Long.toString(expected),
                "actual_version", Long.toString(actual),
                "op_index", Integer.toString(index)));
    }

    private static String id(String namespace, String key) {
        return namespace + "\u0000" + key;
    }
}
