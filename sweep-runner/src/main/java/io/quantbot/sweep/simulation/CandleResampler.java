package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.CandleInterval;

/**
 * Aggregates a finer series into a coarser interval (first open, max high, min low, last close, summed
 * volume), buckets aligned to multiples of the interval since the epoch. Used when a snapshot holds
 * only 1-minute candles and a sweep asks for 5-minute ones.
 */
public final class CandleResampler {
    private CandleResampler() {}

    public static CandleSeries resample(CandleSeries source, CandleInterval target) {
        requireNonNull(source, "source is null");
        requireNonNull(target, "target is null");
        long sourceMillis = source.interval().millis();
        long targetMillis = target.millis();
        if (target == source.interval()) {
            return source;
        }
        if (targetMillis < sourceMillis || targetMillis % sourceMillis != 0) {
            throw new IllegalArgumentException("cannot resample " + source.interval() + " candles to " + target);
        }
        int size = source.size();
        long[] timestamps = new long[size];
        double[] open = new double[size];
        double[] high = new double[size];
        double[] low = new double[size];
        double[] close = new double[size];
        double[] volume = new double[size];
        int count = 0;
        long currentBucket = Long.MIN_VALUE;
        for (int index = 0; index < size; index++) {
            long bucket = Math.floorDiv(source.timestamp(index), targetMillis) * targetMillis;
            if (bucket != currentBucket) {
                currentBucket = bucket;
                timestamps[count] = bucket;
                open[count] = source.open(index);
                high[count] = source.high(index);
                low[count] = source.low(index);
                close[count] = source.close(index);
                volume[count] = source.volume(index);
                count++;
            }
            else {
                int last = count - 1;
                high[last] = Math.max(high[last], source.high(index));
                low[last] = Math.min(low[last], source.low(index));
                close[last] = source.close(index);
                volume[last] += source.volume(index);
            }
        }
        return new CandleSeries(target, timestamps, open, high, low, close, volume, count);
    }
}
