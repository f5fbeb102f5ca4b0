package io.quantbot.sweep.output;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.util.List;

/** Renders listings in every {@link OutputFormat}: tables for people, JSON and CSV with raw values. */
public final class ListingRenderer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TablePrinter tablePrinter;

    public ListingRenderer(TablePrinter tablePrinter) {
        this.tablePrinter = requireNonNull(tablePrinter, "tablePrinter is null");
    }

    public String render(Listing listing, OutputFormat format) {
        requireNonNull(listing, "listing is null");
        requireNonNull(format, "format is null");
        return switch (format) {
            case TABLE -> tablePrinter.render(listing);
            case JSON -> json(listing);
            case CSV -> csv(listing);
        };
    }

    /** A JSON array of objects keyed by column name; NaN becomes null (JSON has no NaN). */
    private static String json(Listing listing) {
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = JSON.createGenerator(out)) {
            generator.useDefaultPrettyPrinter();
            generator.writeStartArray();
            for (List<Object> row : listing.rows()) {
                generator.writeStartObject();
                for (int column = 0; column < listing.columns().size(); column++) {
                    generator.writeFieldName(listing.columns().get(column).name());
                    writeValue(generator, row.get(column));
                }
                generator.writeEndObject();
            }
            generator.writeEndArray();
        }
        catch (IOException e) {
            throw new IllegalStateException("writing JSON to a string cannot fail", e);
        }
        return out + "\n";
    }

    static void writeValue(JsonGenerator generator, Object value) throws IOException {
        if (value == null || (value instanceof Double number && (number.isNaN() || number.isInfinite()))) {
            generator.writeNull();
        }
        else if (value instanceof Double number) {
            generator.writeNumber(number);
        }
        else if (value instanceof Long number) {
            generator.writeNumber(number);
        }
        else if (value instanceof Integer number) {
            generator.writeNumber(number);
        }
        else {
            generator.writeString(value.toString());
        }
    }

    /** RFC 4180: a header line, then one line per row; empty field for a missing value. */
    private static String csv(Listing listing) {
        StringBuilder out = new StringBuilder();
        List<Listing.Column> columns = listing.columns();
        for (int column = 0; column < columns.size(); column++) {
            if (column > 0) {
                out.append(',');
            }
            out.append(csvField(columns.get(column).name()));
        }
        out.append('\n');
        for (List<Object> row : listing.rows()) {
            for (int column = 0; column < row.size(); column++) {
                if (column > 0) {
                    out.append(',');
                }
                out.append(csvField(csvValue(row.get(column))));
            }
            out.append('\n');
        }
        return out.toString();
    }

    static String csvValue(Object value) {
        if (value == null || (value instanceof Double number && number.isNaN())) {
            return "";
        }
        return value.toString();
    }

    public static String csvField(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
