package io.quantbot.storage.daemon.candles;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/** Candles as packed columns, ts ascending. Instances are immutable by convention: nobody writes into the arrays. */
public record CandleSeries(long[] ts, double[] open, double[] high, double[] low, double[] close, double[] volume) {
    public static final CandleSeries EMPTY = new CandleSeries(new long[0], new double[0], new double[0], new double[0], new double[0], new double[0]);
    /** Bytes per candle held in memory: the unit of the cache bound. */
    public static final int BYTES_PER_CANDLE = 48;

    public CandleSeries {
        requireNonNull(ts, "ts is null");
        int n = ts.length;
        if (open.length != n || high.length != n || low.length != n || close.length != n || volume.length != n) {
            throw new IllegalArgumentException("candle columns differ in length");
        }
    }

    public int size() {
        return ts.length;
    }

    public long bytes() {
        return (long) size() * BYTES_PER_CANDLE + 128;
    }

    /** Index of the first candle with ts >= fromMs. */
    public int lowerBound(long fromMs) {
        int index = Arrays.binarySearch(ts, fromMs);
        if (index >= 0) {
            while (index > 0 && ts[index - 1] == fromMs) {
                index--;
            }
            return index;
        }
        return -index - 1;
    }

    /** Candles with fromMs <= ts < toMs (toMs 0 = no upper bound). */
    public CandleSeries slice(long fromMs, long toMs) {
        int from = lowerBound(fromMs);
        int to = toMs == 0 ? size() : lowerBound(toMs);
        if (from == 0 && to == size()) {
            return this;
        }
        if (from >= to) {
            return EMPTY;
        }
        return new CandleSeries(Arrays.copyOfRange(ts, from, to), Arrays.copyOfRange(open, from, to), Arrays.copyOfRange(high, from, to),
                Arrays.copyOfRange(low, from, to), Arrays.copyOfRange(close, from, to), Arrays.copyOfRange(volume, from, to));
    }
}
