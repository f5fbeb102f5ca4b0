package io.quantbot.storage.daemon.testing;

import com.google.protobuf.ByteString;
import io.quantbot.storage.v1.BoolColumn;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.DictionaryStringColumn;
import io.quantbot.storage.v1.DoubleColumn;
import io.quantbot.storage.v1.Int64Column;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.storage.v1.StringColumn;

/** Builds run_results row chunks for tests: rows firstRow .. firstRow+rows-1 with deterministic values. */
public final class RowChunks {
    private RowChunks() {}

    public static RowChunk chunk(int firstRow, int rows) {
        Int64Column.Builder callTs = Int64Column.newBuilder();
        Int64Column.Builder lag = Int64Column.newBuilder();
        DoubleColumn.Builder net = DoubleColumn.newBuilder();
        DoubleColumn.Builder gross = DoubleColumn.newBuilder();
        BoolColumn.Builder tradeable = BoolColumn.newBuilder();
        StringColumn.Builder callIds = StringColumn.newBuilder();
        StringColumn.Builder skip = StringColumn.newBuilder();
        DictionaryStringColumn.Builder caller = DictionaryStringColumn.newBuilder().addDictionary("alice").addDictionary("bob");
        byte[] skipNulls = new byte[(rows + 7) / 8];
        for (int i = 0; i < rows; i++) {
            int row = firstRow + i;
            callIds.addValues(String.format("call-%06d", row));
            callTs.addValues(1_767_225_600_000L + row * 60_000L);
            lag.addValues(30_000);
            gross.addValues(row % 7 / 100.0);
            net.addValues(row % 7 / 100.0 - 0.008);
            boolean ok = row % 10 != 0;
            tradeable.addValues(ok);
            skip.addValues(ok ? "" : "no_candles");
            if (ok) {
                skipNulls[i / 8] |= (byte) (1 << (i % 8));
            }
            caller.addIndices(row % 2);
        }
        return RowChunk.newBuilder()
                .setRowCount(rows)
                .addColumns(Column.newBuilder().setName("call_id").setStrings(callIds))
                .addColumns(Column.newBuilder().setName("caller").setDictionaryStrings(caller))
                .addColumns(Column.newBuilder().setName("interval").setDictionaryStrings(
                        DictionaryStringColumn.newBuilder().addDictionary("1m").addAllIndices(java.util.Collections.nCopies(rows, 0))))
                .addColumns(Column.newBuilder().setName("call_ts").setInt64S(callTs))
                .addColumns(Column.newBuilder().setName("lag_ms").setInt64S(lag))
                .addColumns(Column.newBuilder().setName("gross_return").setDoubles(gross))
                .addColumns(Column.newBuilder().setName("net_return").setDoubles(net))
                .addColumns(Column.newBuilder().setName("tradeable").setBools(tradeable))
                .addColumns(Column.newBuilder().setName("skip_reason").setStrings(skip).setNullBitmap(ByteString.copyFrom(skipNulls)))
                .addColumns(constant("overlay_set", "default", rows))
                .addColumns(constant("token", "So11111111111111111111111111111111111111112", rows))
                .addColumns(constant("chain", "solana", rows))
                .addColumns(constant("exit_reason", "time_exit", rows))
                .addColumns(Column.newBuilder().setName("entry_ts").setInt64S(Int64Column.newBuilder().addAllValues(callTs.getValuesList())))
                .addColumns(Column.newBuilder().setName("exit_ts").setInt64S(Int64Column.newBuilder().addAllValues(callTs.getValuesList())))
                .addColumns(Column.newBuilder().setName("candles_used").setInt64S(Int64Column.newBuilder().addAllValues(java.util.Collections.nCopies(rows, 10L))))
                .addColumns(doubles("entry_px", 1.0, rows))
                .addColumns(doubles("exit_px", 1.01, rows))
                .addColumns(doubles("fees", 0.5, rows))
                .addColumns(doubles("slippage", 0.25, rows))
                .build();
    }

    private static Column constant(String name, String value, int rows) {
        return Column.newBuilder().setName(name).setDictionaryStrings(
                DictionaryStringColumn.newBuilder().addDictionary(value).addAllIndices(java.util.Collections.nCopies(rows, 0))).build();
    }

    private static Column doubles(String name, double value, int rows) {
        return Column.newBuilder().setName(name).setDoubles(DoubleColumn.newBuilder().addAllValues(java.util.Collections.nCopies(rows, value))).build();
    }
}
