package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A state value: a JSON document (validated on write) or raw bytes. */
public sealed interface StateValue {
    /** Size in bytes, the unit of the value-size limit and the state quota. */
    long size();

    record Json(String text) implements StateValue {
        public Json {
            requireNonNull(text, "text is null");
        }

        @Override
        public long size() {
            return text.getBytes(StandardCharsets.UTF_8).length;
        }
    }

    record Raw(byte[] bytes) implements StateValue {
        public Raw {
            requireNonNull(bytes, "bytes is null");
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Raw raw && Arrays.equals(bytes, raw.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Raw[" + bytes.length + " bytes]";
        }
    }
}
