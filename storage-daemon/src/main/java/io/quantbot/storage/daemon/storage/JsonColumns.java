package io.quantbot.storage.daemon.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.SerializationFeature;

/** JSON text columns (lists, maps) as both engines store them: compact on write, a clear error on a bad value. */
public final class JsonColumns {
    private JsonColumns() {}

    public static String write(Object value) {
        try {
            return LakeFiles.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @param table what the message names as the value's home, e.g. "the runs table" */
    public static <T> T read(String text, TypeReference<T> type, String table) {
        try {
            return LakeFiles.JSON.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bad JSON in " + table + ": " + text, e);
        }
    }
}
