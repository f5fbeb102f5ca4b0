package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.v1.BatchGetRequest;
import io.quantbot.storage.v1.BatchGetResult;
import io.quantbot.storage.v1.BatchSetRequest;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.ListResponse;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.TransactionRequest;
import io.quantbot.storage.v1.TransactionResponse;
import io.quantbot.storage.v1.Value;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Typed access to StatePort. Values and entries are the generated proto messages (they are the
 * contract); a write returns the key's new version. Every call has a deadline; reads (get,
 * batchGet, list) are retried on transient failures, writes never are. Failures throw a
 * {@link StorageException} subclass. Thread-safe.
 */
public final class StateClient {
    private final UnaryCaller caller;

    StateClient(UnaryCaller caller) {
        this.caller = requireNonNull(caller, "caller is null");
    }

    /** A view of this client whose calls get {@code deadline} instead of the default one. */
    public StateClient withDeadline(Duration deadline) {
        return new StateClient(caller.withDeadline(deadline));
    }

    /** The entry, or empty if the key does not exist or has expired. Any other failure throws. */
    public Optional<StateEntry> get(String namespace, String key) {
        GetRequest request = GetRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .setKey(requireNonNull(key, "key is null"))
                .build();
        try {
            return Optional.of(caller.call(StatePortGrpc.getGetMethod(), request).getEntry());
        }
        catch (NotFoundException notFound) {
            return Optional.empty();
        }
    }

    /** One result per key, in request order; missing keys have {@code found = false}. */
    public List<BatchGetResult> batchGet(String namespace, List<String> keys) {
        BatchGetRequest request = BatchGetRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .addAllKeys(requireNonNull(keys, "keys is null"))
                .build();
        return caller.call(StatePortGrpc.getBatchGetMethod(), request).getResultsList();
    }

    /** Creates or replaces the key without expiry; returns its new version. */
    public long set(String namespace, String key, Value value) {
        return set(namespace, key, value, Duration.ZERO);
    }

    /** Creates or replaces the key, expiring {@code ttl} after the write (zero = never); returns its new version. */
    public long set(String namespace, String key, Value value, Duration ttl) {
        return set(setRequest(namespace, key, value, ttl).build()).getVersion();
    }

    /** Sends a prepared request as it is (e.g. with an expected version); returns the daemon's answer. */
    public SetResponse set(SetRequest request) {
        return caller.call(StatePortGrpc.getSetMethod(), requireNonNull(request, "request is null"));
    }

    /** {@link #set(String, String, Value)} with a JSON value. */
    public long setJson(String namespace, String key, String json) {
        return set(namespace, key, Values.json(json));
    }

    /** {@link #set(String, String, Value, Duration)} with a JSON value. */
    public long setJson(String namespace, String key, String json, Duration ttl) {
        return set(namespace, key, Values.json(json), ttl);
    }

    /**
     * Writes the key only if its version is {@code expectedVersion} (0 = it must not exist);
     * returns the new version.
     *
     * @throws VersionConflictException if the key had another version; nothing was written
     */
    public long compareAndSet(String namespace, String key, Value value, long expectedVersion) {
        return compareAndSet(namespace, key, value, expectedVersion, Duration.ZERO);
    }

    /** {@link #compareAndSet(String, String, Value, long)} with a TTL. */
    public long compareAndSet(String namespace, String key, Value value, long expectedVersion, Duration ttl) {
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expectedVersion is negative: " + expectedVersion);
        }
        SetRequest request = setRequest(namespace, key, value, ttl).setExpectedVersion(expectedVersion).build();
        return set(request).getVersion();
    }

    /** Several sets applied atomically; one response per request, in order. */
    public List<SetResponse> batchSet(List<SetRequest> entries) {
        BatchSetRequest request = BatchSetRequest.newBuilder()
                .addAllEntries(requireNonNull(entries, "entries is null"))
                .build();
        return caller.call(StatePortGrpc.getBatchSetMethod(), request).getResultsList();
    }

    /** Removes the key; false if it did not exist. */
    public boolean delete(String namespace, String key) {
        return delete(DeleteRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .setKey(requireNonNull(key, "key is null"))
                .build());
    }

    /**
     * Removes the key only if its version is {@code expectedVersion}.
     *
     * @throws VersionConflictException if the key had another version or did not exist
     */
    public boolean delete(String namespace, String key, long expectedVersion) {
        return delete(DeleteRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .setKey(requireNonNull(key, "key is null"))
                .setExpectedVersion(expectedVersion)
                .build());
    }

    private boolean delete(DeleteRequest request) {
        return caller.call(StatePortGrpc.getDeleteMethod(), request).getDeleted();
    }

    /**
     * The namespace's entries whose key starts with {@code prefix} (empty = all), in key order. Pages
     * are fetched lazily as the stream is consumed, each with its own deadline and retries.
     */
    public Stream<StateEntry> list(String namespace, String prefix) {
        return list(listRequest(namespace, prefix));
    }

    /**
     * Like {@link #list(String, String)}, with page size and {@code keys_only} taken from the
     * template; its page token, if any, is where the listing starts.
     */
    public Stream<StateEntry> list(ListRequest template) {
        return PagedIterator.stream(pageFetcher(template));
    }

    /** {@link #list(String, String)} as an iterator. */
    public Iterator<StateEntry> listIterator(String namespace, String prefix) {
        return new PagedIterator<>(pageFetcher(listRequest(namespace, prefix)));
    }

    /** One page, for callers that keep the page token themselves (e.g. to resume later). */
    public ListResponse listPage(ListRequest request) {
        return caller.call(StatePortGrpc.getListMethod(), requireNonNull(request, "request is null"));
    }

    /** Starts an atomic transaction; add operations, then {@link StateTransaction#commit()}. */
    public StateTransaction transaction() {
        return new StateTransaction(this);
    }

    TransactionResponse execute(TransactionRequest request) {
        return caller.call(StatePortGrpc.getTransactionMethod(), request);
    }

    private Function<String, PagedIterator.Page<StateEntry>> pageFetcher(ListRequest template) {
        requireNonNull(template, "template is null");
        String firstToken = template.getPageToken();
        return pageToken -> {
            String token = pageToken.isEmpty() ? firstToken : pageToken;
            ListResponse response = listPage(template.toBuilder().setPageToken(token).build());
            return new PagedIterator.Page<>(response.getEntriesList(), response.getNextPageToken());
        };
    }

    private static ListRequest listRequest(String namespace, String prefix) {
        return ListRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .setPrefix(requireNonNull(prefix, "prefix is null"))
                .build();
    }

    static SetRequest.Builder setRequest(String namespace, String key, Value value, Duration ttl) {
        requireNonNull(ttl, "ttl is null");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl is negative: " + ttl);
        }
        return SetRequest.newBuilder()
                .setNamespace(requireNonNull(namespace, "namespace is null"))
                .setKey(requireNonNull(key, "key is null"))
                .setValue(requireNonNull(value, "value is null"))
                .setTtlMs(ttl.toMillis());
    }
}
