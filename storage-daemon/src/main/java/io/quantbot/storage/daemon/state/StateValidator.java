package io.quantbot.storage.daemon.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.quantbot.storage.daemon.config.StateConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.io.IOException;
import java.util.regex.Pattern;

/** The input rules of StatePort: patterns and lengths of namespaces and keys, value size, JSON validity, TTL range. */
public final class StateValidator {
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9_.-]*");
    private static final long MAX_TTL_MS = 3650L * 24 * 3600 * 1000;
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final StateConfig config;

    public StateValidator(StateConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    public void namespace(String namespace) {
        if (namespace.isEmpty()) {
            throw invalid(ErrorCode.INVALID_NAMESPACE, "namespace", "namespace is empty");
        }
        if (namespace.length() > config.maxNamespaceLength()) {
            throw invalid(ErrorCode.INVALID_NAMESPACE, "namespace",
                    "namespace is " + namespace.length() + " characters long; the limit is " + config.maxNamespaceLength());
        }
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw invalid(ErrorCode.INVALID_NAMESPACE, "namespace",
                    "namespace '" + printable(namespace) + "' must match [a-z0-9][a-z0-9_.-]* (lower case, digits, '_', '.', '-')");
        }
    }

    public void key(String key) {
        if (key.isEmpty()) {
            throw invalid(ErrorCode.INVALID_KEY, "key", "key is empty");
        }
        if (key.length() > config.maxKeyLength()) {
            throw invalid(ErrorCode.INVALID_KEY, "key", "key is " + key.length() + " characters long; the limit is " + config.maxKeyLength());
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw invalid(ErrorCode.INVALID_KEY, "key", "key '" + printable(key) + "' has a character that is not printable ASCII at position "
                        + i + " (spaces and control characters are not allowed)");
            }
        }
    }

    public void prefix(String prefix) {
        if (prefix.length() > config.maxKeyLength()) {
            throw invalid(ErrorCode.INVALID_KEY, "prefix", "prefix is longer than the longest key (" + config.maxKeyLength() + ")");
        }
    }

    public void value(StateValue value) {
        if (value.size() > config.maxValueSize()) {
            throw StorageException.builder(ErrorCode.VALUE_TOO_LARGE,
                            "value is " + value.size() + " bytes; the limit (state.max-value-size) is " + config.maxValueSize())
                    .metadata("size_bytes", value.size())
                    .metadata("limit_bytes", config.maxValueSize())
                    .build();
        }
        if (value instanceof StateValue.Json json) {
            validateJson(json.text());
        }
    }

    public void ttl(long ttlMs) {
        if (ttlMs < 0 || ttlMs > MAX_TTL_MS) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, "ttl_ms", "ttl_ms must be between 0 (no expiry) and " + MAX_TTL_MS + " (10 years), got " + ttlMs);
        }
    }

    public void expectedVersion(long expected) {
        if (expected < 0) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, "expected_version", "expected_version must be >= 0 (0 = the key must not exist), got " + expected);
        }
    }

    public void batchSize(String field, int size) {
        if (size == 0) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, field, field + " is empty");
        }
        if (size > config.maxBatchSize()) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE,
                            field + " has " + size + " items; the limit (state.max-batch-size) is " + config.maxBatchSize())
                    .metadata("limit", config.maxBatchSize())
                    .build();
        }
    }

    private static void validateJson(String text) {
        try (JsonParser parser = JSON.createParser(text)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw invalid(ErrorCode.INVALID_VALUE, "value.json", "value.json is empty; send a JSON document (e.g. {}, [], \"text\", 1, null)");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw invalid(ErrorCode.INVALID_VALUE, "value.json", "value.json holds more than one JSON document");
            }
        } catch (JsonProcessingException e) {
            throw invalid(ErrorCode.INVALID_VALUE, "value.json", "value.json is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw invalid(ErrorCode.INVALID_VALUE, "value.json", "value.json cannot be read: " + e.getMessage());
        }
    }

    static StorageException invalid(ErrorCode code, String field, String message) {
        return StorageException.builder(code, message).violation(field, message).build();
    }

    private static String printable(String text) {
        String cut = text.length() > 80 ? text.substring(0, 80) + "…" : text;
        StringBuilder out = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
