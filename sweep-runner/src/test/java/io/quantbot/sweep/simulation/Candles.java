package io.quantbot.sweep.simulation;

import io.quantbot.sweep.spec.CandleInterval;

/** Builds small hand-written series: one {@code {minute, open, high, low, close}} row per candle. */
final class Candles {
    static final long MINUTE = 60_000L;

    private Candles() {}

    static CandleSeries oneMinute(double[]... rows) {
        long[] timestamps = new long[rows.length];
        double[] open = new double[rows.length];
        double[] high = new double[rows.length];
        double[] low = new double[rows.length];
        double[] close = new double[rows.length];
        double[] volume = new double[rows.length];
        for (int index = 0; index < rows.length; index++) {
            timestamps[index] = (long) rows[index][0] * MINUTE;
            open[index] = rows[index][1];
            high[index] = rows[index][2];
            low[index] = rows[index][3];
            close[index] = rows[index][4];
            volume[index] = 100;
        }
        return new CandleSeries(CandleInterval.ONE_MINUTE, timestamps, open, high, low, close, volume, rows.length);
    }

    static double[] candle(double minute, double open, double high, double low, double close) {
        return new double[] {minute, open, high, low, close};
    }
}
