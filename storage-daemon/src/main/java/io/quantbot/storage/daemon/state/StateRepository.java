package io.quantbot.storage.daemon.state;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The persistence port of StatePort. Writes are atomic per call and complete after their commit. */
public interface StateRepository {
    /** The committed entry of a key, expired or not (the caller filters by time). */
    Optional<StateEntry> find(StateKey key);

    /** Committed entries of a namespace whose key starts with prefix and sorts after afterKey, in key order. */
    List<StateEntry> scan(String namespace, String prefix, String afterKey, int limit, long nowMs);

    /** Evaluates the operations atomically against the committed state and persists their effects. */
    CompletableFuture<List<StateOperationResult>> execute(List<StateOperation> operations);

    /** Total size of live values in bytes. */
    long liveBytes();

    /** Live keys (including expired ones not yet purged). */
    long size();
}
