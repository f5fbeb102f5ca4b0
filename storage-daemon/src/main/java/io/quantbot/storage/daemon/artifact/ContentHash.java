package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The content hash "qbch1" of docs/artifacts.md: one SHA-256 per canonical column over its values
 * in sort order (NULL = 0x00; otherwise 0x01 + a big-endian encoding), then SHA-256 over a header
 * naming the type, schema version, row count and each column's digest. The Python worker computes
 * the same value; tests on both sides pin known hashes.
 */
public final class ContentHash {
    public enum Kind {
        I64("i64"),
        F64("f64"),
        BOOL("bool"),
        STR("str");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** The kind a DuckDB column type is hashed as. */
        public static Kind ofDuckDbType(String type) {
            String upper = type.toUpperCase(java.util.Locale.ROOT);
            if (upper.equals("DOUBLE") || upper.equals("FLOAT") || upper.equals("REAL") || upper.startsWith("DECIMAL")) {
                return F64;
            }
            if (upper.equals("BOOLEAN")) {
                return BOOL;
            }
            if (upper.equals("BIGINT") || upper.equals("INTEGER") || upper.equals("SMALLINT") || upper.equals("TINYINT")
                    || upper.equals("UBIGINT") || upper.equals("UINTEGER") || upper.equals("USMALLINT") || upper.equals("UTINYINT")
                    || upper.equals("HUGEINT") || upper.startsWith("TIMESTAMP")) {
                return I64;
            }
            return STR;
        }
    }

    private final String type;
    private final int schemaVersion;
    private final List<String> names = new ArrayList<>();
    private final List<Kind> kinds = new ArrayList<>();
    private final List<MessageDigest> digests = new ArrayList<>();
    private final byte[] buffer = new byte[9];
    private long rows;

    public ContentHash(String type, int schemaVersion, List<ColumnSpec> columns) {
        this.type = requireNonNull(type, "type is null");
        this.schemaVersion = schemaVersion;
        for (ColumnSpec column : columns) {
            names.add(column.name());
            kinds.add(Kind.ofDuckDbType(column.type()));
            digests.add(sha256());
        }
    }

    public Kind kind(int column) {
        return kinds.get(column);
    }

    public int columnCount() {
        return names.size();
    }

    /** Call once per row, after adding that row's values. */
    public void endRow() {
        rows++;
    }

    public void addNull(int column) {
        digests.get(column).update((byte) 0);
    }

    public void addLong(int column, long value) {
        buffer[0] = 1;
        putLong(value);
        digests.get(column).update(buffer, 0, 9);
    }

    public void addDouble(int column, double value) {
        long bits;
        if (Double.isNaN(value)) {
            bits = 0x7ff8000000000000L;
        } else if (value == 0.0) {
            bits = 0L;
        } else {
            bits = Double.doubleToRawLongBits(value);
        }
        buffer[0] = 1;
        putLong(bits);
        digests.get(column).update(buffer, 0, 9);
    }

    public void addBoolean(int column, boolean value) {
        buffer[0] = 1;
        buffer[1] = (byte) (value ? 1 : 0);
        digests.get(column).update(buffer, 0, 2);
    }

    public void addString(int column, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        MessageDigest digest = digests.get(column);
        buffer[0] = 1;
        buffer[1] = (byte) (bytes.length >>> 24);
        buffer[2] = (byte) (bytes.length >>> 16);
        buffer[3] = (byte) (bytes.length >>> 8);
        buffer[4] = (byte) bytes.length;
        digest.update(buffer, 0, 5);
        digest.update(bytes);
    }

    /** The hex content hash. The instance must not be used afterwards. */
    public String finish() {
        StringBuilder header = new StringBuilder();
        header.append("qbch1\n").append(type).append('\n').append(schemaVersion).append('\n').append(rows).append('\n');
        for (int i = 0; i < names.size(); i++) {
            header.append(names.get(i)).append(':').append(kinds.get(i).label()).append(':')
                    .append(HexFormat.of().formatHex(digests.get(i).digest())).append('\n');
        }
        return HexFormat.of().formatHex(sha256().digest(header.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private void putLong(long value) {
        for (int i = 0; i < 8; i++) {
            buffer[1 + i] = (byte) (value >>> (56 - 8 * i));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
