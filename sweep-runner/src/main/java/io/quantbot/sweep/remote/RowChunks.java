package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.v1.BoolColumn;
import io.quantbot.storage.v1.Column;
import io.quantbot.storage.v1.DictionaryStringColumn;
import io.quantbot.storage.v1.DoubleColumn;
import io.quantbot.storage.v1.Int64Column;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.sweep.results.ResultBatch;
import io.quantbot.sweep.results.ResultColumn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * The one mapper from a {@link ResultBatch} to the {@code RowChunk} of AppendRunRows: packed numbers,
 * dictionary-coded strings and null bitmaps, copied one to one (the shapes were made to match).
 *
 * <p>{@code sweep_id} and {@code scenario_id} are left out: AppendRunRows fills them from the run, which the
 * runner created with exactly these values, and not sending them spares the daemon two string columns per row
 * (measured: about a quarter of its ingest time for full run_results rows).
 */
public final class RowChunks {
    /** Columns AppendRunRows defaults to the run's own values. */
    static final Set<String> RUN_DEFAULTED = Set.of("sweep_id", "scenario_id");
    /** Field number of {@code Column.null_bitmap} in common.proto. */
    private static final int NULL_BITMAP_FIELD = 7;
    private static final int LENGTH_DELIMITED = 2;

    private RowChunks() {}

    public static RowChunk of(ResultBatch batch) {
        requireNonNull(batch, "batch is null");
        RowChunk.Builder chunk = RowChunk.newBuilder().setRowCount(batch.rowCount());
        for (ResultColumn column : batch.columns()) {
            if (!RUN_DEFAULTED.contains(column.name())) {
                chunk.addColumns(column(column, batch.rowCount()));
            }
        }
        return chunk.build();
    }

    static Column column(ResultColumn column, int rows) {
        Column.Builder builder = Column.newBuilder();
        byte[] nulls = column.nullBitmap();
        if (nulls.length > 0) {
            withNullBitmap(builder, nulls);
        }
        builder.setName(column.name());
        if (column instanceof ResultColumn.LongColumn longs) {
            checkLength(column, longs.values().length, rows);
            Int64Column.Builder values = Int64Column.newBuilder();
            for (int row = 0; row < rows; row++) {
                values.addValues(longs.values()[row]);
            }
            builder.setInt64S(values);
        }
        else if (column instanceof ResultColumn.DoubleColumn doubles) {
            checkLength(column, doubles.values().length, rows);
            DoubleColumn.Builder values = DoubleColumn.newBuilder();
            for (int row = 0; row < rows; row++) {
                values.addValues(doubles.values()[row]);
            }
            builder.setDoubles(values);
        }
        else if (column instanceof ResultColumn.BooleanColumn booleans) {
            checkLength(column, booleans.values().length, rows);
            BoolColumn.Builder values = BoolColumn.newBuilder();
            for (int row = 0; row < rows; row++) {
                values.addValues(booleans.values()[row]);
            }
            builder.setBools(values);
        }
        else if (column instanceof ResultColumn.DictionaryStringColumn strings) {
            checkLength(column, strings.indices().length, rows);
            DictionaryStringColumn.Builder values = DictionaryStringColumn.newBuilder().addAllDictionary(strings.dictionary());
            for (int row = 0; row < rows; row++) {
                values.addIndices(strings.indices()[row]);
            }
            builder.setDictionaryStrings(values);
        }
        else {
            throw new IllegalArgumentException("unknown column kind " + column);
        }
        return builder.build();
    }

    /**
     * Sets {@code null_bitmap} by merging its protobuf wire encoding (field 7, length-delimited), which is
     * part of the API contract. Building a {@code ByteString} would make sweep-runner depend on the protobuf
     * runtime, which its architecture rule does not allow (generated API types and client-sdk only).
     */
    /**
     * Sets a column's validity bitmap (bit i set = row i is NULL) without naming protobuf's ByteString, which the
     * runner may not use (its ArchUnit rule allows client-sdk and the generated API types only).
     */
    public static void withNullBitmap(Column.Builder builder, byte[] bitmap) {
        byte[] encoded = new byte[1 + varintSize(bitmap.length) + bitmap.length];
        int position = 0;
        encoded[position++] = (byte) (NULL_BITMAP_FIELD << 3 | LENGTH_DELIMITED);
        int length = bitmap.length;
        while ((length & ~0x7F) != 0) {
            encoded[position++] = (byte) ((length & 0x7F) | 0x80);
            length >>>= 7;
        }
        encoded[position++] = (byte) length;
        System.arraycopy(bitmap, 0, encoded, position, bitmap.length);
        try {
            builder.mergeFrom(encoded);
        }
        catch (IOException e) {
            throw new UncheckedIOException("a null bitmap we encoded ourselves did not parse", e);
        }
    }

    private static int varintSize(int value) {
        int size = 1;
        while ((value & ~0x7F) != 0) {
            size++;
            value >>>= 7;
        }
        return size;
    }

    private static void checkLength(ResultColumn column, int length, int rows) {
        if (length < rows) {
            throw new IllegalArgumentException("column " + column.name() + " has " + length + " values for " + rows + " rows");
        }
    }
}
