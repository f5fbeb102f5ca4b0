package io.quantbot.storage.daemon.run;

import static java.util.Objects.requireNonNull;

import java.util.BitSet;

/** One validated column of a row chunk; nulls marks NULL rows (for strings a null element means NULL too). */
public sealed interface RowColumn {
    String name();

    int size();

    boolean isNull(int row);

    record Longs(String name, long[] values, BitSet nulls) implements RowColumn {
        public Longs {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
            requireNonNull(nulls, "nulls is null");
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isNull(int row) {
            return nulls.get(row);
        }
    }

    record Doubles(String name, double[] values, BitSet nulls) implements RowColumn {
        public Doubles {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
            requireNonNull(nulls, "nulls is null");
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isNull(int row) {
            return nulls.get(row);
        }
    }

    record Booleans(String name, boolean[] values, BitSet nulls) implements RowColumn {
        public Booleans {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
            requireNonNull(nulls, "nulls is null");
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isNull(int row) {
            return nulls.get(row);
        }
    }

    record Strings(String name, String[] values) implements RowColumn {
        public Strings {
            requireNonNull(name, "name is null");
            requireNonNull(values, "values is null");
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public boolean isNull(int row) {
            return values[row] == null;
        }
    }
}
