package io.quantbot.storage.daemon.candles;

import java.util.Arrays;

/**
 * Coarser candles from finer ones: buckets aligned to multiples of the interval since the epoch (UTC),
 * first open, max high, min low, last close, summed volume. A bucket with no source candle is absent.
 */
public final class CandleResampler {
    private CandleResampler() {}

    public static CandleSeries resample(CandleSeries source, long intervalMs) {
        int n = source.size();
        long[] ts = new long[n];
        double[] open = new double[n];
        double[] high = new double[n];
        double[] low = new double[n];
        double[] close = new double[n];
        double[] volume = new double[n];
        int out = -1;
        long bucket = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            long start = Math.floorDiv(source.ts()[i], intervalMs) * intervalMs;
            if (start != bucket) {
                out++;
                bucket = start;
                ts[out] = start;
                open[out] = source.open()[i];
                high[out] = source.high()[i];
                low[out] = source.low()[i];
                close[out] = source.close()[i];
                volume[out] = source.volume()[i];
            } else {
                high[out] = Math.max(high[out], source.high()[i]);
                low[out] = Math.min(low[out], source.low()[i]);
                close[out] = source.close()[i];
                volume[out] += source.volume()[i];
            }
        }
        int size = out + 1;
        return new CandleSeries(Arrays.copyOf(ts, size), Arrays.copyOf(open, size), Arrays.copyOf(high, size), Arrays.copyOf(low, size),
                Arrays.copyOf(close, size), Arrays.copyOf(volume, size));
    }
}
