package io.quantbot.sweep.results;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;

/**
 * One column of a {@link ResultBatch}, shaped like {@code quantbot.storage.v1.Column} so the
 * conversion to a {@code RowChunk} is a one-to-one copy: packed primitives, dictionary-coded strings
 * and a null bitmap (LSB first, bit set = NULL, empty when nothing is NULL).
 *
 * <p>Arrays are owned by the column: do not modify them.
 */
public sealed interface ResultColumn
        permits ResultColumn.LongColumn, ResultColumn.DoubleColumn, ResultColumn.BooleanColumn,
        ResultColumn.DictionaryStringColumn {

    String name();

    /** Null bitmap in the proto's layout: LSB first, bit set = NULL, empty when no value is NULL. */
    byte[] nullBitmap();

    default boolean isNull(int row) {
        byte[] bitmap = nullBitmap();
        return bitmap.length != 0 && (bitmap[row >>> 3] & (1 << (row & 7))) != 0;
    }

    /** BIGINT. */
    record LongColumn(String name, long[] values, byte[] nullBitmap) implements ResultColumn {
        public LongColumn {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
            requireNonNull(nullBitmap, "nullBitmap is null");
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof LongColumn column && name.equals(column.name) && Arrays.equals(values, column.values)
                    && Arrays.equals(nullBitmap, column.nullBitmap);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "LongColumn[" + name + ", " + values.length + " values]";
        }
    }

    /** DOUBLE. */
    record DoubleColumn(String name, double[] values, byte[] nullBitmap) implements ResultColumn {
        public DoubleColumn {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
            requireNonNull(nullBitmap, "nullBitmap is null");
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof DoubleColumn column && name.equals(column.name)
                    && Arrays.equals(values, column.values) && Arrays.equals(nullBitmap, column.nullBitmap);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "DoubleColumn[" + name + ", " + values.length + " values]";
        }
    }

    /** BOOLEAN, never NULL in run_results. */
    record BooleanColumn(String name, boolean[] values) implements ResultColumn {
        public BooleanColumn {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
        }

        @Override
        public byte[] nullBitmap() {
            return new byte[0];
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof BooleanColumn column && name.equals(column.name)
                    && Arrays.equals(values, column.values);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "BooleanColumn[" + name + ", " + values.length + " values]";
        }
    }

    /**
     * VARCHAR as a dictionary plus one index per row; columns such as sweep_id or caller repeat on every
     * row, so this is what goes on the wire. A NULL row has index 0 and its bit set in the bitmap.
     */
    record DictionaryStringColumn(String name, List<String> dictionary, int[] indices, byte[] nullBitmap)
            implements ResultColumn {
        public DictionaryStringColumn {
            requireNonNull(name, "name is null");
            dictionary = List.copyOf(requireNonNull(dictionary, "dictionary is null"));
            requireNonNull(indices, "indices is null");
            requireNonNull(nullBitmap, "nullBitmap is null");
        }

        /** The row's value, {@code null} for a NULL row. */
        public String value(int row) {
            return isNull(row) ? null : dictionary.get(indices[row]);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof DictionaryStringColumn column && name.equals(column.name)
                    && dictionary.equals(column.dictionary) && Arrays.equals(indices, column.indices)
                    && Arrays.equals(nullBitmap, column.nullBitmap);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(indices);
        }

        @Override
        public String toString() {
            return "DictionaryStringColumn[" + name + ", " + indices.length + " values, " + dictionary.size()
                    + " distinct]";
        }
    }
}
