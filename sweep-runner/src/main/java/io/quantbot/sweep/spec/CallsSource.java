package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

/** Where the calls of a sweep come from: exactly one of an artifact id, a logical key or a snapshot name. */
public record CallsSource(Kind kind, String value) {
    public enum Kind {
        ARTIFACT_ID("artifact_id"),
        LOGICAL_KEY("logical_key"),
        SNAPSHOT("snapshot");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        /** The key in the sweep file. */
        public String key() {
            return key;
        }
    }

    public CallsSource {
        requireNonNull(kind, "kind is null");
        requireNonNull(value, "value is null");
    }

    /** {@code snapshot=demo}: the canonical text, also part of the derived sweep id. */
    public String describe() {
        return kind.key() + "=" + value;
    }
}
