package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.CandleInterval;
import java.util.Arrays;

/**
 * The candles of one token at one interval as packed arrays, ascending by open time, no duplicate
 * times. This is the shape GetCandles returns (packed columns), so a fetched series is simulated
 * without copying into per-candle objects.
 *
 * <p>The arrays are owned by the series after construction: callers must not modify them.
 */
public final class CandleSeries {
    private final CandleInterval interval;
    private final long[] timestamps;
    private final double[] open;
    private final double[] high;
    private final double[] low;
    private final double[] close;
    private final double[] volume;
    private final int size;

    public CandleSeries(CandleInterval interval, long[] timestamps, double[] open, double[] high, double[] low,
            double[] close, double[] volume, int size) {
        this.interval = requireNonNull(interval, "interval is null");
        this.timestamps = requireNonNull(timestamps, "timestamps is null");
        this.open = requireNonNull(open, "open is null");
        this.high = requireNonNull(high, "high is null");
        this.low = requireNonNull(low, "low is null");
        this.close = requireNonNull(close, "close is null");
        this.volume = requireNonNull(volume, "volume is null");
        if (size < 0 || timestamps.length < size || open.length < size || high.length < size || low.length < size
                || close.length < size || volume.length < size) {
            throw new IllegalArgumentException("every array must hold at least size=" + size + " values");
        }
        for (int index = 1; index < size; index++) {
            if (timestamps[index] <= timestamps[index - 1]) {
                throw new IllegalArgumentException("candle times must be strictly ascending: " + timestamps[index - 1]
                        + " then " + timestamps[index] + " at index " + index);
            }
        }
        this.size = size;
    }

    public static CandleSeries empty(CandleInterval interval) {
        return new CandleSeries(interval, new long[0], new double[0], new double[0], new double[0], new double[0],
                new double[0], 0);
    }

    public CandleInterval interval() {
        return interval;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public long timestamp(int index) {
        return timestamps[index];
    }

    public double open(int index) {
        return open[index];
    }

    public double high(int index) {
        return high[index];
    }

    public double low(int index) {
        return low[index];
    }

    public double close(int index) {
        return close[index];
    }

    public double volume(int index) {
        return volume[index];
    }

    /** Index of the first candle with open time >= {@code timestampMillis}, or {@link #size()} if none. */
    public int firstIndexAtOrAfter(long timestampMillis) {
        int index = Arrays.binarySearch(timestamps, 0, size, timestampMillis);
        return index >= 0 ? index : -index - 1;
    }

    // Package-private raw access for the backtest loop, which must not pay for bounds-checked getters per field.
    long[] timestampArray() {
        return timestamps;
    }

    double[] openArray() {
        return open;
    }

    double[] highArray() {
        return high;
    }

    double[] lowArray() {
        return low;
    }

    double[] closeArray() {
        return close;
    }
}
