package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.CandleInterval;
import java.time.Instant;
import java.util.List;

/**
 * What {@link SnapshotGenerator} makes. The same options (seed included) always give byte-identical files.
 *
 * @param intervals intervals written per token; 1m is always generated, coarser ones are aggregated from it
 * @param startMillis open time of the first candle, epoch ms UTC (a fixed default keeps output reproducible)
 */
public record SnapshotOptions(int tokens, int days, int calls, int callers, long seed, long startMillis,
        List<CandleInterval> intervals) {
    public static final int DEFAULT_TOKENS = 200;
    public static final int DEFAULT_DAYS = 3;
    public static final int DEFAULT_CALLS = 2_000;
    public static final int DEFAULT_CALLERS = 20;
    public static final long DEFAULT_SEED = 42;
    public static final long MAX_CANDLES = 20_000_000L;
    public static final long DEFAULT_START_MILLIS = Instant.parse("2025-01-06T00:00:00Z").toEpochMilli();

    public SnapshotOptions {
        intervals = List.copyOf(requireNonNull(intervals, "intervals is null"));
        if (tokens < 1 || days < 1 || calls < 0 || callers < 1) {
            throw new IllegalArgumentException("tokens, days and callers must be >= 1 and calls >= 0");
        }
        // The generator keeps every series in memory (about 50 bytes a candle) to place calls near pumps.
        if ((long) tokens * days * 24 * 60 > MAX_CANDLES) {
            throw new IllegalArgumentException("tokens × days × 1,440 must stay within " + MAX_CANDLES
                    + " one-minute candles (about 1 GB of memory)");
        }
        if (startMillis % CandleInterval.ONE_DAY.millis() != 0) {
            throw new IllegalArgumentException("startMillis must be midnight UTC so every interval's buckets align");
        }
        if (!intervals.contains(CandleInterval.ONE_MINUTE)) {
            throw new IllegalArgumentException("intervals must include 1m, the generated resolution");
        }
        for (CandleInterval interval : intervals) {
            if (interval.millis() < CandleInterval.ONE_MINUTE.millis()) {
                throw new IllegalArgumentException("intervals finer than 1m cannot be derived from 1m candles: " + interval);
            }
        }
    }

    public static SnapshotOptions defaults() {
        return new SnapshotOptions(DEFAULT_TOKENS, DEFAULT_DAYS, DEFAULT_CALLS, DEFAULT_CALLERS, DEFAULT_SEED,
                DEFAULT_START_MILLIS, List.of(CandleInterval.ONE_MINUTE));
    }

    public int minutes() {
        return days * 24 * 60;
    }
}
