package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.quantbot.storage.v1.Value;

/** Builds {@link Value}s: JSON (validated by the daemon) or raw bytes. */
public final class Values {
    private Values() {}

    public static Value json(String json) {
        return Value.newBuilder().setJson(requireNonNull(json, "json is null")).build();
    }

    public static Value raw(byte[] bytes) {
        return Value.newBuilder().setRaw(ByteString.copyFrom(requireNonNull(bytes, "bytes is null"))).build();
    }

    public static Value raw(ByteString bytes) {
        return Value.newBuilder().setRaw(requireNonNull(bytes, "bytes is null")).build();
    }
}
