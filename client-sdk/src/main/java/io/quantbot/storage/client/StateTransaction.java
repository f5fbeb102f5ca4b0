package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.v1.CheckVersion;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.TransactionOp;
import io.quantbot.storage.v1.TransactionOpResult;
import io.quantbot.storage.v1.TransactionRequest;
import io.quantbot.storage.v1.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects get / set / delete / check operations and sends them as one atomic Transaction: all
 * apply or none does. Reads see the effects of earlier operations of the same transaction. Not
 * thread-safe; never retried automatically.
 *
 * <pre>{@code
 * List<TransactionOpResult> results = client.state().transaction()
 *         .check("sweeps", "sweep-42/lock", lockVersion)
 *         .set("sweeps", "sweep-42/done", Values.json("[\"s1\",\"s2\"]"))
 *         .delete("sweeps", "sweep-42/pending")
 *         .commit();
 * }</pre>
 */
public final class StateTransaction {
    private final StateClient client;
    private final List<TransactionOp> operations = new ArrayList<>();

    StateTransaction(StateClient client) {
        this.client = requireNonNull(client, "client is null");
    }

    public StateTransaction get(String namespace, String key) {
        return add(TransactionOp.newBuilder()
                .setGet(GetRequest.newBuilder()
                        .setNamespace(requireNonNull(namespace, "namespace is null"))
                        .setKey(requireNonNull(key, "key is null")))
                .build());
    }

    public StateTransaction set(String namespace, String key, Value value) {
        return set(StateClient.setRequest(namespace, key, value, Duration.ZERO).build());
    }

    public StateTransaction set(String namespace, String key, Value value, Duration ttl) {
        return set(StateClient.setRequest(namespace, key, value, ttl).build());
    }

    public StateTransaction compareAndSet(String namespace, String key, Value value, long expectedVersion) {
        return set(StateClient.setRequest(namespace, key, value, Duration.ZERO).setExpectedVersion(expectedVersion).build());
    }

    public StateTransaction set(SetRequest request) {
        return add(TransactionOp.newBuilder().setSet(requireNonNull(request, "request is null")).build());
    }

    public StateTransaction delete(String namespace, String key) {
        return delete(DeleteRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .setKey(requireNonNull(key, "key is null"))
                .build());
    }

    public StateTransaction delete(DeleteRequest request) {
        return add(TransactionOp.newBuilder().setDelete(requireNonNull(request, "request is null")).build());
    }

    /** The key must have exactly {@code version} (0 = must not exist), or the whole transaction aborts. */
    public StateTransaction check(String namespace, String key, long version) {
        return add(TransactionOp.newBuilder()
                .setCheck(CheckVersion.newBuilder()
                        .setNamespace(requireNonNull(namespace, "namespace is null"))
                        .setKey(requireNonNull(key, "key is null"))
                        .setVersion(version))
                .build());
    }

    /** Operations added so far. */
    public int size() {
        return operations.size();
    }

    /**
     * Sends the transaction. Returns one result per operation, in the order they were added.
     *
     * @throws VersionConflictException if a check or expected version failed
     *     ({@link VersionConflictException#operationIndex()} names it); nothing was applied
     */
    public List<TransactionOpResult> commit() {
        if (operations.isEmpty()) {
            throw new IllegalStateException("transaction has no operations");
        }
        TransactionRequest request = TransactionRequest.newBuilder().addAllOps(operations).build();
        return client.execute(request).getResultsList();
    }

    private StateTransaction add(TransactionOp operation) {
        operations.add(operation);
        return this;
    }
}
