package io.quantbot.sweep.output;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardRow;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints leaderboards with {@code --sort}, {@code --top N} and {@code --output}: aligned tables (one
 * per leaderboard, titled), one JSON document, or one CSV with the leaderboard name on every line.
 */
public final class LeaderboardPrinter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TablePrinter tablePrinter;
    private final LeaderboardSort sort;
    private final int top;

    /** @param top rows kept per leaderboard; 0 keeps all */
    public LeaderboardPrinter(TablePrinter tablePrinter, LeaderboardSort sort, int top) {
        this.tablePrinter = requireNonNull(tablePrinter, "tablePrinter is null");
        this.sort = requireNonNull(sort, "sort is null");
        if (top < 0) {
            throw new IllegalArgumentException("top must be >= 0");
        }
        this.top = top;
    }

    public String render(List<Leaderboard> leaderboards, OutputFormat format) {
        requireNonNull(leaderboards, "leaderboards is null");
        requireNonNull(format, "format is null");
        return switch (format) {
            case TABLE -> tables(leaderboards);
            case JSON -> json(leaderboards);
            case CSV -> csv(leaderboards);
        };
    }

    /** Rows after --sort and --top. */
    public List<LeaderboardRow> selectRows(Leaderboard leaderboard) {
        List<LeaderboardRow> rows = new ArrayList<>(leaderboard.rows());
        rows.sort(sort.bestFirst());
        return top == 0 || rows.size() <= top ? rows : rows.subList(0, top);
    }

    /** A leaderboard as a generic listing, e.g. to render it with {@link ListingRenderer}. */
    public Listing toListing(Leaderboard leaderboard) {
        List<Listing.Column> columns = new ArrayList<>();
        for (String dimension : leaderboard.dimensions()) {
            columns.add(new Listing.Column(dimension, Listing.Kind.TEXT));
        }
        columns.add(new Listing.Column("count", Listing.Kind.INTEGER));
        columns.add(new Listing.Column("mean", Listing.Kind.RETURN));
        columns.add(new Listing.Column("p5", Listing.Kind.RETURN));
        columns.add(new Listing.Column("p50", Listing.Kind.RETURN));
        columns.add(new Listing.Column("p95", Listing.Kind.RETURN));
        columns.add(new Listing.Column("win_rate", Listing.Kind.PERCENT));
        columns.add(new Listing.Column("skipped", Listing.Kind.INTEGER));
        columns.add(new Listing.Column("skip_reasons", Listing.Kind.TEXT));
        List<LeaderboardRow> selected = selectRows(leaderboard);
        List<List<Object>> rows = new ArrayList<>();
        for (LeaderboardRow row : selected) {
            List<Object> values = new ArrayList<>(row.keys());
            values.add(row.count());
            values.add(row.mean());
            values.add(row.p5());
            values.add(row.p50());
            values.add(row.p95());
            values.add(row.winRate());
            values.add(row.skipped());
            values.add(row.skipReasonsText(" "));
            rows.add(values);
        }
        String shown = selected.size() < leaderboard.rows().size()
                ? "top " + selected.size() + " of " + leaderboard.rows().size()
                : leaderboard.rows().size() + (leaderboard.rows().size() == 1 ? " group" : " groups");
        String title = leaderboard.name() + " (" + shown + ", by " + sort.label() + "; net returns)";
        return new Listing(title, columns, rows);
    }

    private String tables(List<Leaderboard> leaderboards) {
        StringBuilder out = new StringBuilder();
        for (Leaderboard leaderboard : leaderboards) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(tablePrinter.render(toListing(leaderboard)));
        }
        return out.toString();
    }

    /**
     * {"leaderboards": [{name, dimensions, rows: [{keys, count, mean, p5, p50, p95, win_rate, skipped,
     * skip_reasons: {reason: count}}]}]}.
     */
    private String json(List<Leaderboard> leaderboards) {
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = JSON.createGenerator(out)) {
            generator.useDefaultPrettyPrinter();
            generator.writeStartObject();
            generator.writeArrayFieldStart("leaderboards");
            for (Leaderboard leaderboard : leaderboards) {
                generator.writeStartObject();
                generator.writeStringField("name", leaderboard.name());
                generator.writeArrayFieldStart("dimensions");
                for (String dimension : leaderboard.dimensions()) {
                    generator.writeString(dimension);
                }
                generator.writeEndArray();
                generator.writeStringField("sort", sort.label());
                generator.writeNumberField("total_rows", leaderboard.rows().size());
                generator.writeArrayFieldStart("rows");
                for (LeaderboardRow row : selectRows(leaderboard)) {
                    generator.writeStartObject();
                    generator.writeArrayFieldStart("keys");
                    for (String key : row.keys()) {
                        generator.writeString(key);
                    }
                    generator.writeEndArray();
                    generator.writeNumberField("count", row.count());
                    number(generator, "mean", row.mean());
                    number(generator, "p5", row.p5());
                    number(generator, "p50", row.p50());
                    number(generator, "p95", row.p95());
                    number(generator, "win_rate", row.winRate());
                    generator.writeNumberField("skipped", row.skipped());
                    generator.writeObjectFieldStart("skip_reasons");
                    for (Map.Entry<String, Long> reason : row.skipReasons().entrySet()) {
                        generator.writeNumberField(reason.getKey(), reason.getValue());
                    }
                    generator.writeEndObject();
                    generator.writeEndObject();
                }
                generator.writeEndArray();
                generator.writeEndObject();
            }
            generator.writeEndArray();
            generator.writeEndObject();
        }
        catch (IOException e) {
            throw new IllegalStateException("writing JSON to a string cannot fail", e);
        }
        return out + "\n";
    }

    private static void number(JsonGenerator generator, String name, double value) throws IOException {
        generator.writeFieldName(name);
        ListingRenderer.writeValue(generator, value);
    }

    /**
     * One table for all leaderboards: dimensions, keys and skip reasons ({@code reason=count}) joined with '|' so
     * every line has the same columns.
     */
    private String csv(List<Leaderboard> leaderboards) {
        StringBuilder out = new StringBuilder("leaderboard,dimensions,keys,count,mean,p5,p50,p95,win_rate,skipped,skip_reasons\n");
        for (Leaderboard leaderboard : leaderboards) {
            String dimensions = ListingRenderer.csvField(String.join("|", leaderboard.dimensions()));
            for (LeaderboardRow row : selectRows(leaderboard)) {
                out.append(ListingRenderer.csvField(leaderboard.name())).append(',')
                        .append(dimensions).append(',')
                        .append(ListingRenderer.csvField(String.join("|", row.keys()))).append(',')
                        .append(row.count()).append(',')
                        .append(ListingRenderer.csvValue(row.mean())).append(',')
                        .append(ListingRenderer.csvValue(row.p5())).append(',')
                        .append(ListingRenderer.csvValue(row.p50())).append(',')
                        .append(ListingRenderer.csvValue(row.p95())).append(',')
                        .append(ListingRenderer.csvValue(row.winRate())).append(',')
                        .append(row.skipped()).append(',')
                        .append(ListingRenderer.csvField(row.skipReasonsText("|"))).append('\n');
            }
        }
        return out.toString();
    }
}
