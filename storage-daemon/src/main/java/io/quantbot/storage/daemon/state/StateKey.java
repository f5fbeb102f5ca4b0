package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;

/** A state key: (namespace, key). Ordered by namespace, then key, bytewise, which is the List order. */
public record StateKey(String namespace, String key) implements Comparable<StateKey> {
    private static final Comparator<StateKey> ORDER = Comparator.comparing(StateKey::namespace).thenComparing(StateKey::key);

    public StateKey {
        requireNonNull(namespace, "namespace is null");
        requireNonNull(key, "key is null");
    }

    @Override
    public int compareTo(StateKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return namespace + "/" + key;
    }
}
