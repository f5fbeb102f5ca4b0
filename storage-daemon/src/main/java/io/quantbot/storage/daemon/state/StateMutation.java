package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

/** A change to persist: the new entry of a key, or its removal. */
public sealed interface StateMutation {
    StateKey key();

    long version();

    record Upsert(StateEntry entry) implements StateMutation {
        public Upsert {
            requireNonNull(entry, "entry is null");
        }

        @Override
        public StateKey key() {
            return entry.key();
        }

        @Override
        public long version() {
            return entry.version();
        }
    }

    record Tombstone(StateKey key, long version, long atMs) implements StateMutation {
        public Tombstone {
            requireNonNull(key, "key is null");
        }
    }
}
