package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;

/** One operation of a state write or transaction. */
public sealed interface StateOperation {
    StateKey key();

    record Get(StateKey key) implements StateOperation {
        public Get {
            requireNonNull(key, "key is null");
        }
    }

    /** Create or replace; ttlMs 0 = no expiry; expectedVersion present = compare-and-set (0 = must not exist). */
    record Put(StateKey key, StateValue value, long ttlMs, OptionalLong expectedVersion) implements StateOperation {
        public Put {
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
            requireNonNull(expectedVersion, "expectedVersion is null");
        }
    }

    record Remove(StateKey key, OptionalLong expectedVersion) implements StateOperation {
        public Remove {
            requireNonNull(key, "key is null");
            requireNonNull(expectedVersion, "expectedVersion is null");
        }
    }

    /** The key must have this version (0 = must not exist). */
    record Check(StateKey key, long version) implements StateOperation {
        public Check {
            requireNonNull(key, "key is null");
        }
    }
}
