package io.quantbot.sweep.output;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders a {@link Listing} as an aligned text table: numbers right-aligned, text left-aligned,
 * two spaces between columns, no trailing spaces. Text columns are shortened with "…" (widest first)
 * until the table fits the width, 100 columns by default.
 */
public final class TablePrinter {
    public static final int DEFAULT_WIDTH = 100;
    private static final int MINIMUM_TEXT_WIDTH = 6;
    private static final String SEPARATOR = "  ";

    private final int maximumWidth;

    public TablePrinter() {
        this(DEFAULT_WIDTH);
    }

    public TablePrinter(int maximumWidth) {
        if (maximumWidth < 20) {
            throw new IllegalArgumentException("maximumWidth must be >= 20");
        }
        this.maximumWidth = maximumWidth;
    }

    /** The table as lines ending with '\n'; the title, if any, comes first. */
    public String render(Listing listing) {
        requireNonNull(listing, "listing is null");
        List<Listing.Column> columns = listing.columns();
        int columnCount = columns.size();
        List<String[]> cells = new ArrayList<>(listing.rows().size());
        int[] widths = new int[columnCount];
        for (int column = 0; column < columnCount; column++) {
            widths[column] = columns.get(column).name().length();
        }
        for (List<Object> row : listing.rows()) {
            String[] formatted = new String[columnCount];
            for (int column = 0; column < columnCount; column++) {
                formatted[column] = format(row.get(column), columns.get(column).kind());
                widths[column] = Math.max(widths[column], formatted[column].length());
            }
            cells.add(formatted);
        }
        fit(columns, widths);

        StringBuilder out = new StringBuilder();
        if (!listing.title().isEmpty()) {
            out.append(listing.title()).append('\n');
        }
        String[] header = new String[columnCount];
        String[] rule = new String[columnCount];
        for (int column = 0; column < columnCount; column++) {
            header[column] = columns.get(column).name();
            rule[column] = "-".repeat(widths[column]);
        }
        appendLine(out, columns, widths, header);
        appendLine(out, columns, widths, rule);
        for (String[] row : cells) {
            appendLine(out, columns, widths, row);
        }
        return out.toString();
    }

    private void fit(List<Listing.Column> columns, int[] widths) {
        while (totalWidth(widths) > maximumWidth) {
            int widest = -1;
            for (int column = 0; column < widths.length; column++) {
                if (!columns.get(column).rightAligned() && widths[column] > MINIMUM_TEXT_WIDTH
                        && (widest < 0 || widths[column] > widths[widest])) {
                    widest = column;
                }
            }
            if (widest < 0) {
                return; // Only numbers left: wider than asked beats dropping data.
            }
            widths[widest]--;
        }
    }

    private static int totalWidth(int[] widths) {
        int total = SEPARATOR.length() * Math.max(0, widths.length - 1);
        for (int width : widths) {
            total += width;
        }
        return total;
    }

    private static void appendLine(StringBuilder out, List<Listing.Column> columns, int[] widths, String[] values) {
        StringBuilder line = new StringBuilder();
        for (int column = 0; column < values.length; column++) {
            if (column > 0) {
                line.append(SEPARATOR);
            }
            String value = truncate(values[column], widths[column]);
            String padding = " ".repeat(widths[column] - value.length());
            if (columns.get(column).rightAligned()) {
                line.append(padding).append(value);
            }
            else {
                line.append(value).append(padding);
            }
        }
        int end = line.length();
        while (end > 0 && line.charAt(end - 1) == ' ') {
            end--;
        }
        out.append(line, 0, end).append('\n');
    }

    private static String truncate(String value, int width) {
        return value.length() <= width ? value : value.substring(0, width - 1) + "…";
    }

    /** How a value is shown in a table cell; "-" for a missing value or NaN. */
    public static String format(Object value, Listing.Kind kind) {
        if (value == null || (value instanceof Double number && number.isNaN())) {
            return "-";
        }
        return switch (kind) {
            case TEXT -> value.toString();
            case INTEGER -> String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
            case RETURN -> String.format(Locale.ROOT, "%+.2f%%", ((Number) value).doubleValue() * 100);
            case PERCENT -> String.format(Locale.ROOT, "%.1f%%", ((Number) value).doubleValue() * 100);
            case DECIMAL -> String.format(Locale.ROOT, "%.4f", ((Number) value).doubleValue());
        };
    }
}
