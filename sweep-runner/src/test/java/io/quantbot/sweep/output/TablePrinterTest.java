package io.quantbot.sweep.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.sweep.leaderboard.Leaderboard;
import io.quantbot.sweep.leaderboard.LeaderboardRow;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TablePrinterTest {
    private static final Leaderboard BY_OVERLAY = new Leaderboard("by_overlay", List.of("overlay_set"), List.of(
            new LeaderboardRow(List.of("tp50_sl20"), 1_980, 0.0512, -0.2072, 0.031, 0.49, 0.562, 20,
                    Map.of("no_candles", 20L)),
            new LeaderboardRow(List.of("tr20"), 12_345, 0.1234, -0.25, 0.0, 1.5, 0.5, 0, Map.of()),
            new LeaderboardRow(List.of("hold"), 7, -0.3, -0.9, -0.35, 0.2, 0.1, 1_993,
                    Map.of("entry_after_data", 3L, "no_candles", 1_990L)),
            new LeaderboardRow(List.of("never"), 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 2_000,
                    Map.of("no_candles", 1_000L, "bad_price", 1_000L))));

    @Test
    void numbers_are_right_aligned_and_text_left_aligned() {
        String table = new TablePrinter().render(new LeaderboardPrinter(new TablePrinter(), LeaderboardSort.MEAN, 0)
                .toListing(BY_OVERLAY));
        List<String> lines = table.lines().toList();

        assertThat(table).isEqualTo("""
                by_overlay (4 groups, by mean; net returns)
                overlay_set   count     mean       p5      p50       p95  win_rate  skipped  skip_reasons
                -----------  ------  -------  -------  -------  --------  --------  -------  -----------------------
                tr20         12,345  +12.34%  -25.00%   +0.00%  +150.00%     50.0%        0
                tp50_sl20     1,980   +5.12%  -20.72%   +3.10%   +49.00%     56.2%       20  no_candles=20
                hold              7  -30.00%  -90.00%  -35.00%   +20.00%     10.0%    1,993  no_candles=1990 entry_…
                never             0        -        -        -         -         -    2,000  bad_price=1000 no_cand…
                """);
        // Every row ends its numeric columns at the same positions as the header.
        int countEnd = lines.get(1).indexOf("count") + "count".length();
        for (String line : lines.subList(3, lines.size())) {
            assertThat(line.charAt(countEnd)).as(line).isEqualTo(' ');
            assertThat(line.charAt(countEnd - 1)).as(line).isNotEqualTo(' ');
            assertThat(line).doesNotEndWith(" ");
        }
    }

    @Test
    void sort_and_top_select_rows() {
        LeaderboardPrinter printer = new LeaderboardPrinter(new TablePrinter(), LeaderboardSort.COUNT, 2);
        assertThat(printer.selectRows(BY_OVERLAY)).extracting(row -> row.keys().get(0)).containsExactly("tr20", "tp50_sl20");
        assertThat(new LeaderboardPrinter(new TablePrinter(), LeaderboardSort.MEAN, 0).selectRows(BY_OVERLAY))
                .extracting(row -> row.keys().get(0)).containsExactly("tr20", "tp50_sl20", "hold", "never");
        assertThat(new LeaderboardPrinter(new TablePrinter(), LeaderboardSort.WIN_RATE, 1).selectRows(BY_OVERLAY))
                .extracting(row -> row.keys().get(0)).containsExactly("tp50_sl20");
        assertThat(printer.toListing(BY_OVERLAY).title()).isEqualTo("by_overlay (top 2 of 4, by count; net returns)");
    }

    @Test
    void wide_tables_shrink_text_columns_to_fit_100_columns() {
        String longKey = "i=15m/lag=1500ms/ov=tp300_tr40_tx12h_with_a_very_long_overlay_set_name_indeed";
        Leaderboard wide = new Leaderboard("by_scenario", List.of("scenario_id"), List.of(
                new LeaderboardRow(List.of(longKey), 1_234_567, 0.5, -0.5, 0.1, 2.5, 0.55, 123_456,
                        Map.of("no_candles", 123_456L))));
        String table = new TablePrinter().render(new LeaderboardPrinter(new TablePrinter(), LeaderboardSort.MEAN, 0)
                .toListing(wide));

        assertThat(table.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(100));
        assertThat(table).contains("…").doesNotContain(longKey).contains("1,234,567");
    }

    @Test
    void json_and_csv_carry_raw_values() throws Exception {
        LeaderboardPrinter printer = new LeaderboardPrinter(new TablePrinter(), LeaderboardSort.MEAN, 0);
        JsonNode json = new ObjectMapper().readTree(printer.render(List.of(BY_OVERLAY), OutputFormat.JSON));

        JsonNode board = json.get("leaderboards").get(0);
        assertThat(board.get("name").asText()).isEqualTo("by_overlay");
        assertThat(board.get("dimensions").get(0).asText()).isEqualTo("overlay_set");
        assertThat(board.get("rows").get(0).get("keys").get(0).asText()).isEqualTo("tr20");
        assertThat(board.get("rows").get(0).get("mean").asDouble()).isEqualTo(0.1234);
        assertThat(board.get("rows").get(0).get("win_rate").asDouble()).isEqualTo(0.5);
        assertThat(board.get("rows").get(3).get("mean").isNull()).isTrue();

        assertThat(board.get("rows").get(2).get("skip_reasons").get("no_candles").asLong()).isEqualTo(1_990);
        assertThat(board.get("rows").get(2).get("skip_reasons").get("entry_after_data").asLong()).isEqualTo(3);
        assertThat(board.get("rows").get(0).get("skip_reasons").size()).isZero();

        List<String> csv = printer.render(List.of(BY_OVERLAY), OutputFormat.CSV).lines().toList();
        assertThat(csv.get(0)).isEqualTo("leaderboard,dimensions,keys,count,mean,p5,p50,p95,win_rate,skipped,skip_reasons");
        assertThat(csv.get(1)).isEqualTo("by_overlay,overlay_set,tr20,12345,0.1234,-0.25,0.0,1.5,0.5,0,");
        assertThat(csv.get(3)).isEqualTo("by_overlay,overlay_set,hold,7,-0.3,-0.9,-0.35,0.2,0.1,1993,no_candles=1990|entry_after_data=3");
        // Equal counts: by reason name.
        assertThat(csv.get(4)).isEqualTo("by_overlay,overlay_set,never,0,,,,,,2000,bad_price=1000|no_candles=1000");
    }

    @Test
    void generic_listings_render_in_every_format() throws Exception {
        Listing listing = new Listing("", List.of(new Listing.Column("name", Listing.Kind.TEXT),
                new Listing.Column("rows", Listing.Kind.INTEGER), new Listing.Column("ratio", Listing.Kind.DECIMAL)),
                List.of(List.of("a,b", 1_000L, 0.5), Arrays.asList("c\"d", null, Double.NaN)));
        ListingRenderer renderer = new ListingRenderer(new TablePrinter());

        assertThat(renderer.render(listing, OutputFormat.TABLE)).isEqualTo("""
                name   rows   ratio
                ----  -----  ------
                a,b   1,000  0.5000
                c"d       -       -
                """);
        assertThat(renderer.render(listing, OutputFormat.CSV)).isEqualTo("name,rows,ratio\n\"a,b\",1000,0.5\n\"c\"\"d\",,\n");
        JsonNode json = new ObjectMapper().readTree(renderer.render(listing, OutputFormat.JSON));
        assertThat(json.get(0).get("rows").asLong()).isEqualTo(1_000);
        assertThat(json.get(1).get("ratio").isNull()).isTrue();
    }
}
