package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

/** A stored key with its value, version and times (epoch ms UTC; expiresAtMs 0 = never). */
public record StateEntry(StateKey key, StateValue value, long version, long createdAtMs, long updatedAtMs, long expiresAtMs) {
    public StateEntry {
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
    }

    public boolean isExpiredAt(long nowMs) {
        return expiresAtMs != 0 && expiresAtMs <= nowMs;
    }
}
