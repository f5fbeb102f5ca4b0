package io.quantbot.storage.daemon.bench;

import java.util.Arrays;

/** Latencies of one benchmark phase, per thread, merged at the end. */
final class LatencyRecorder {
    private long[] nanos = new long[1 << 16];
    private int count;

    void record(long elapsedNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, nanos.length * 2);
        }
        nanos[count++] = elapsedNanos;
    }

    static Summary summarize(Iterable<LatencyRecorder> recorders, long wallNanos) {
        int total = 0;
        for (LatencyRecorder recorder : recorders) {
            total += recorder.count;
        }
        long[] all = new long[total];
        int at = 0;
        for (LatencyRecorder recorder : recorders) {
            System.arraycopy(recorder.nanos, 0, all, at, recorder.count);
            at += recorder.count;
        }
        Arrays.sort(all);
        return new Summary(total, total / (wallNanos / 1e9), percentile(all, 0.50), percentile(all, 0.99));
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
    }

    /** ops, ops per second, p50 and p99 in milliseconds. */
    record Summary(long operations, double opsPerSecond, double p50Millis, double p99Millis) {}
}
