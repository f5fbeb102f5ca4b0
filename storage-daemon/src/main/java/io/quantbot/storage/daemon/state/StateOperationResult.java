package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** The outcome of one {@link StateOperation}, in the order of the request. */
public sealed interface StateOperationResult {
    record Got(StateKey key, Optional<StateEntry> entry) implements StateOperationResult {
        public Got {
            requireNonNull(key, "key is null");
            requireNonNull(entry, "entry is null");
        }
    }

    record Put(long version, long expiresAtMs) implements StateOperationResult {}

    record Removed(boolean deleted, long deletedVersion) implements StateOperationResult {}

    record Checked(long version) implements StateOperationResult {}
}
