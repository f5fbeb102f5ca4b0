package io.quantbot.sweep.output;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Neutral tabular data for any listing the CLI prints (leaderboards now; runs, artifacts later): typed
 * columns and raw values, formatted only by the renderer so JSON and CSV keep full precision.
 *
 * @param rows each row holds one value per column: {@link String}, {@link Long}, {@link Double} or {@code null}
 */
public record Listing(String title, List<Column> columns, List<List<Object>> rows) {

    /** How a column's values are shown in a table. */
    public enum Kind {
        /** Left-aligned text. */
        TEXT,
        /** Whole number with thousands separators. */
        INTEGER,
        /** A fraction shown as a signed percentage, {@code 0.1234 → +12.34%}. */
        RETURN,
        /** A fraction shown as a percentage, {@code 0.562 → 56.2%}. */
        PERCENT,
        /** A plain decimal. */
        DECIMAL
    }

    public record Column(String name, Kind kind) {
        public Column {
            requireNonNull(name, "name is null");
            requireNonNull(kind, "kind is null");
        }

        public boolean rightAligned() {
            return kind != Kind.TEXT;
        }
    }

    public Listing {
        requireNonNull(title, "title is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        List<List<Object>> copies = new ArrayList<>(requireNonNull(rows, "rows is null").size());
        for (List<Object> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("row has " + row.size() + " values for " + columns.size() + " columns");
            }
            // Values may be null, which List.copyOf rejects.
            copies.add(Collections.unmodifiableList(new ArrayList<>(row)));
        }
        rows = Collections.unmodifiableList(copies);
    }
}
