package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.StateConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * StatePort's domain service: validates every input, then reads the committed state or queues an
 * atomic write. Reads never wait for the writer.
 */
@Singleton
public final class StateService {
    public static final int DEFAULT_PAGE_SIZE = 100;

    private final StateRepository repository;
    private final StateValidator validator;
    private final StateConfig config;
    private final Clock clock;

    @Inject
    public StateService(StateRepository repository, StateConfig config, Clock clock) {
        this.repository = requireNonNull(repository, "repository is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.validator = new StateValidator(config);
    }

    /** The live entry of a key; KEY_NOT_FOUND if it does not exist or has expired. */
    public StateEntry get(String namespace, String key) {
        validator.namespace(namespace);
        validator.key(key);
        return find(new StateKey(namespace, key)).orElseThrow(() -> StorageException.builder(ErrorCode.KEY_NOT_FOUND,
                        "no key '" + key + "' in namespace '" + namespace + "' (never set, deleted, or expired)")
                .metadata("namespace", namespace)
                .metadata("key", key)
                .build());
    }

    public List<Optional<StateEntry>> batchGet(String namespace, List<String> keys) {
        validator.namespace(namespace);
        validator.batchSize("keys", keys.size());
        keys.forEach(validator::key);
        List<Optional<StateEntry>> results = new ArrayList<>(keys.size());
        for (String key : keys) {
            results.add(find(new StateKey(namespace, key)));
        }
        return results;
    }

    public CompletableFuture<StateOperationResult.Put> set(SetCommand command) {
        StateOperation.Put put = validated(command);
        return execute(List.of(put)).thenApply(results -> (StateOperationResult.Put) results.get(0));
    }

    /** All entries or none. A key may appear only once. */
    public CompletableFuture<List<StateOperationResult.Put>> batchSet(List<SetCommand> commands) {
        validator.batchSize("entries", commands.size());
        List<StateOperation> operations = new ArrayList<>(commands.size());
        Set<StateKey> seen = new HashSet<>();
        for (int i = 0; i < commands.size(); i++) {
            StateOperation.Put put = validated(commands.get(i));
            if (!seen.add(put.key())) {
                throw StateValidator.invalid(ErrorCode.INVALID_ARGUMENT, "entries[" + i + "]",
                        "entries[" + i + "] repeats the key " + put.key() + "; each key may appear once in a BatchSet");
            }
            operations.add(put);
        }
        return execute(operations).thenApply(results -> results.stream().map(StateOperationResult.Put.class::cast).toList());
    }

    public CompletableFuture<StateOperationResult.Removed> delete(String namespace, String key, OptionalLong expectedVersion) {
        validator.namespace(namespace);
        validator.key(key);
        expectedVersion.ifPresent(validator::expectedVersion);
        StateOperation.Remove remove = new StateOperation.Remove(new StateKey(namespace, key), expectedVersion);
        return execute(List.of(remove)).thenApply(results -> (StateOperationResult.Removed) results.get(0));
    }

    public StatePage list(String namespace, String prefix, int pageSize, String pageToken) {
        validator.namespace(namespace);
        validator.prefix(prefix);
        if (pageSize < 0) {
            throw StateValidator.invalid(ErrorCode.INVALID_ARGUMENT, "page_size", "page_size must be >= 0 (0 = default " + DEFAULT_PAGE_SIZE + ")");
        }
        int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, config.maxPageSize());
        String after = StatePageToken.decode(pageToken, namespace, prefix);
        List<StateEntry> entries = repository.scan(namespace, prefix, after, size + 1, clock.millis());
        if (entries.size() <= size) {
            return new StatePage(entries, "");
        }
        List<StateEntry> page = entries.subList(0, size);
        return new StatePage(List.copyOf(page), StatePageToken.encode(namespace, prefix, page.get(size - 1).key().key()));
    }

    /** Atomic: every check and expected version holds and every operation is applied, or nothing is. */
    public CompletableFuture<List<StateOperationResult>> transaction(List<StateOperation> operations) {
        validator.batchSize("ops", operations.size());
        for (StateOperation operation : operations) {
            validator.namespace(operation.key().namespace());
            validator.key(operation.key().key());
            if (operation instanceof StateOperation.Put put) {
                validator.value(put.value());
                validator.ttl(put.ttlMs());
                put.expectedVersion().ifPresent(validator::expectedVersion);
            } else if (operation instanceof StateOperation.Remove remove) {
                remove.expectedVersion().ifPresent(validator::expectedVersion);
            } else if (operation instanceof StateOperation.Check check) {
                validator.expectedVersion(check.version());
            }
        }
        return execute(List.copyOf(operations));
    }

    /**
     * Fails a write at once when one of its version checks already fails against the committed state:
     * versions only grow, so it could never succeed later, and failing now is a valid linearization
     * (the call observed that state). Under contention this keeps doomed compare-and-sets away from
     * the writer. Checks on keys an earlier operation of the same call writes are left to the writer.
     */
    private CompletableFuture<List<StateOperationResult>> execute(List<StateOperation> operations) {
        long now = clock.millis();
        Set<StateKey> written = new HashSet<>();
        for (int index = 0; index < operations.size(); index++) {
            StateOperation operation = operations.get(index);
            OptionalLong expected = OptionalLong.empty();
            if (operation instanceof StateOperation.Put put) {
                expected = put.expectedVersion();
            } else if (operation instanceof StateOperation.Remove remove) {
                expected = remove.expectedVersion();
            } else if (operation instanceof StateOperation.Check check) {
                expected = OptionalLong.of(check.version());
            }
            if (expected.isPresent() && !written.contains(operation.key())) {
                StateTransactionEvaluator.checkExpected(index, operation.key(), expected, find(operation.key(), now));
            }
            if (operation instanceof StateOperation.Put || operation instanceof StateOperation.Remove) {
                written.add(operation.key());
            }
        }
        return repository.execute(operations);
    }

    private Optional<StateEntry> find(StateKey key) {
        return find(key, clock.millis());
    }

    private Optional<StateEntry> find(StateKey key, long now) {
        return repository.find(key).filter(entry -> !entry.isExpiredAt(now));
    }

    private StateOperation.Put validated(SetCommand command) {
        validator.namespace(command.namespace());
        validator.key(command.key());
        validator.value(command.value());
        validator.ttl(command.ttlMs());
        command.expectedVersion().ifPresent(validator::expectedVersion);
        return new StateOperation.Put(new StateKey(command.namespace(), command.key()), command.value(), command.ttlMs(), command.expectedVersion());
    }

    /** A Set request in domain terms. */
    public record SetCommand(String namespace, String key, StateValue value, long ttlMs, OptionalLong expectedVersion) {
        public SetCommand {
            requireNonNull(namespace, "namespace is null");
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
            requireNonNull(expectedVersion, "expectedVersion is null");
        }
    }

    /** One page of a List; nextPageToken is empty on the last page. */
    public record StatePage(List<StateEntry> entries, String nextPageToken) {
        public StatePage {
            entries = List.copyOf(entries);
            requireNonNull(nextPageToken, "nextPageToken is null");
        }
    }
}
