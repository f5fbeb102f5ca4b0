package io.quantbot.sweep.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.sweep.results.ResultBatch;
import io.quantbot.sweep.results.ResultColumn;
import io.quantbot.sweep.results.RunResultColumns;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowChunksTest {
    private static byte[] bitmap(int rows, int... nullRows) {
        byte[] bitmap = new byte[(rows + 7) / 8];
        for (int row : nullRows) {
            bitmap[row >>> 3] |= (byte) (1 << (row & 7));
        }
        return bitmap;
    }

    @Test
    void copies_every_kind_of_column_one_to_one() throws Exception {
        List<ResultColumn> columns = List.of(
                new ResultColumn.DictionaryStringColumn("call_id", List.of("c1", "c2", "c3"), new int[] {0, 1, 2}, new byte[0]),
                new ResultColumn.LongColumn("entry_ts", new long[] {10, 0, 30}, bitmap(3, 1)),
                new ResultColumn.DoubleColumn("net_return", new double[] {0.5, 0, -0.25}, bitmap(3, 1)),
                new ResultColumn.BooleanColumn("tradeable", new boolean[] {true, false, true}),
                new ResultColumn.DictionaryStringColumn("skip_reason", List.of("no_candles"), new int[] {0, 0, 0}, bitmap(3, 0, 2)));
        RowChunk chunk = RowChunks.of(new ResultBatch("i=1m/lag=0s/ov=hold", 0, 3, columns));
        // What goes on the wire parses back to the same message.
        RowChunk wire = RowChunk.parseFrom(chunk.toByteArray());
        assertThat(wire).isEqualTo(chunk);

        assertThat(wire.getRowCount()).isEqualTo(3);
        assertThat(wire.getColumnsList()).extracting(Column::getName)
                .containsExactly("call_id", "entry_ts", "net_return", "tradeable", "skip_reason");
        Column callIds = wire.getColumns(0);
        assertThat(callIds.getDictionaryStrings().getDictionaryList()).containsExactly("c1", "c2", "c3");
        assertThat(callIds.getDictionaryStrings().getIndicesList()).containsExactly(0, 1, 2);
        assertThat(callIds.getNullBitmap().isEmpty()).isTrue();
        Column entry = wire.getColumns(1);
        assertThat(entry.getInt64S().getValuesList()).containsExactly(10L, 0L, 30L);
        assertThat(entry.getNullBitmap().toByteArray()).containsExactly(0b010);
        assertThat(wire.getColumns(2).getDoubles().getValuesList()).containsExactly(0.5, 0.0, -0.25);
        assertThat(wire.getColumns(2).getNullBitmap().toByteArray()).containsExactly(0b010);
        assertThat(wire.getColumns(3).getBools().getValuesList()).containsExactly(true, false, true);
        Column skip = wire.getColumns(4);
        assertThat(skip.getDictionaryStrings().getDictionaryList()).containsExactly("no_candles");
        assertThat(skip.getNullBitmap().toByteArray()).containsExactly(0b101);
    }

    @Test
    void long_null_bitmaps_keep_every_byte() {
        // 5,000 rows: a 625-byte bitmap, whose length needs a two-byte varint in the wire encoding.
        int rows = 5_000;
        List<Integer> nullRows = new ArrayList<>();
        for (int row = 0; row < rows; row += 7) {
            nullRows.add(row);
        }
        byte[] nulls = bitmap(rows, nullRows.stream().mapToInt(Integer::intValue).toArray());
        RowChunk chunk = RowChunks.of(new ResultBatch("s", 3, rows,
                List.of(new ResultColumn.DoubleColumn("exit_px", new double[rows], nulls))));
        assertThat(chunk.getColumns(0).getNullBitmap().toByteArray()).isEqualTo(nulls);
        assertThat(chunk.getColumns(0).getDoubles().getValuesCount()).isEqualTo(rows);
        assertThat(chunk.getColumns(0).getName()).isEqualTo("exit_px");
    }

    @Test
    void the_columns_the_daemon_takes_from_the_run_are_not_sent() {
        List<ResultColumn> columns = new ArrayList<>();
        for (RunResultColumns.Definition definition : RunResultColumns.COLUMNS) {
            columns.add(switch (definition.type()) {
                case "BIGINT" -> new ResultColumn.LongColumn(definition.name(), new long[1], new byte[0]);
                case "DOUBLE" -> new ResultColumn.DoubleColumn(definition.name(), new double[1], new byte[0]);
                case "BOOLEAN" -> new ResultColumn.BooleanColumn(definition.name(), new boolean[1]);
                default -> new ResultColumn.DictionaryStringColumn(definition.name(), List.of("x"), new int[1], new byte[0]);
            });
        }
        RowChunk chunk = RowChunks.of(new ResultBatch("s", 0, 1, columns));
        assertThat(chunk.getColumnsList()).extracting(Column::getName)
                .hasSize(RunResultColumns.COLUMNS.size() - 2)
                .doesNotContain("run_id", "sweep_id", "scenario_id")
                .contains("interval", "lag_ms", "overlay_set", "call_id", "net_return", "tradeable", "skip_reason");
    }
}
