package io.quantbot.storage.daemon.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A chunk of result rows by column; every column has rowCount values. Columns absent from the chunk are NULL (or defaulted). */
public record RowBatch(int rowCount, Map<String, RowColumn> columns) {
    public RowBatch {
        columns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    }

    public static RowBatch of(int rowCount, List<RowColumn> columns) {
        Map<String, RowColumn> byName = new LinkedHashMap<>();
        for (RowColumn column : columns) {
            byName.put(column.name(), column);
        }
        return new RowBatch(rowCount, byName);
    }

    public Optional<RowColumn> column(String name) {
        return Optional.ofNullable(columns.get(name));
    }

    /**
     * A 64-bit digest of what the chunk stores: its row count and, by column name, every value and null. A column
     * that is absent and one whose every row is NULL store the same, so they digest the same; the wire encoding
     * (plain or dictionary strings, column order) does not matter. Not a cryptographic hash: it tells a retried
     * chunk from a different chunk sent under the same sequence number (a client bug), not an attacker's collision.
     */
    public long digest() {
        long hash = mix(0x51_7C_C1_B7_27_22_0A_95L, rowCount);
        List<String> names = new ArrayList<>(columns.keySet());
        Collections.sort(names);
        for (String name : names) {
            RowColumn column = columns.get(name);
            if (allNull(column)) {
                continue;
            }
            hash = mix(hash, name.hashCode());
            for (int row = 0; row < rowCount; row++) {
                hash = mix(hash, value(column, row));
            }
        }
        return hash;
    }

    private boolean allNull(RowColumn column) {
        for (int row = 0; row < rowCount; row++) {
            if (!column.isNull(row)) {
                return false;
            }
        }
        return true;
    }

    private static long value(RowColumn column, int row) {
        if (column.isNull(row)) {
            return 0x6E_75_6C_6CL; // "null"; a value equal to it is told apart by the next mix only statistically
        }
        if (column instanceof RowColumn.Longs longs) {
            return longs.values()[row];
        }
        if (column instanceof RowColumn.Doubles doubles) {
            return Double.doubleToLongBits(doubles.values()[row]);
        }
        if (column instanceof RowColumn.Booleans booleans) {
            return booleans.values()[row] ? 1 : 2;
        }
        String text = ((RowColumn.Strings) column).values()[row];
        return ((long) text.hashCode() << 32) ^ text.length();
    }

    /** One step of the digest: the value through MurmurHash3's 64-bit finaliser, folded into the running hash. */
    private static long mix(long hash, long value) {
        long k = value;
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        k ^= k >>> 33;
        return Long.rotateLeft(hash ^ k, 27) * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    }
}
