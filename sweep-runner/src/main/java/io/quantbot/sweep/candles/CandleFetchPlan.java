package io.quantbot.sweep.candles;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.CandleSeries;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Fewer, larger candle reads for many calls: the requests of calls on the same token, chain and interval
 * whose time ranges overlap or touch are merged into one, fetched once, and each call gets its own range
 * cut out of the merged series ({@link #slice}). Ten calls on a token within a day then cost one read of
 * that day instead of ten overlapping ones. Merging stops at {@link #DEFAULT_MAX_CANDLES} candles per
 * request, below the daemon's per-request limit.
 */
public final class CandleFetchPlan {
    /** Largest merged request, in candles of its interval (the daemon allows 1,000,000 by default). */
    public static final long DEFAULT_MAX_CANDLES = 200_000;

    /**
     * One request to send, and the positions (in the planned list) of the calls it serves.
     *
     * @param members positions of the original requests inside this one, ascending by their start
     */
    public record Group(CandleRequest request, int[] members) {
        public Group {
            requireNonNull(request, "request is null");
            requireNonNull(members, "members is null");
        }
    }

    private CandleFetchPlan() {}

    /** Merges {@code requests} into groups; every original request belongs to exactly one group. */
    public static List<Group> plan(List<CandleRequest> requests) {
        return plan(requests, DEFAULT_MAX_CANDLES);
    }

    public static List<Group> plan(List<CandleRequest> requests, long maxCandles) {
        requireNonNull(requests, "requests is null");
        if (maxCandles < 1) {
            throw new IllegalArgumentException("maxCandles must be >= 1");
        }
        Integer[] order = new Integer[requests.size()];
        for (int index = 0; index < order.length; index++) {
            order[index] = index;
        }
        Arrays.sort(order, Comparator
                .comparing((Integer index) -> requests.get(index).chain())
                .thenComparing(index -> requests.get(index).token())
                .thenComparing(index -> requests.get(index).interval())
                .thenComparingLong(index -> requests.get(index).fromMillis()));
        List<Group> groups = new ArrayList<>();
        int position = 0;
        while (position < order.length) {
            CandleRequest first = requests.get(order[position]);
            long from = first.fromMillis();
            long to = first.toMillis();
            long intervalMillis = first.interval().millis();
            long maxSpan = maxCandles > Long.MAX_VALUE / intervalMillis ? Long.MAX_VALUE : maxCandles * intervalMillis;
            List<Integer> members = new ArrayList<>();
            members.add(order[position]);
            position++;
            while (position < order.length) {
                CandleRequest next = requests.get(order[position]);
                if (!next.token().equals(first.token()) || !next.chain().equals(first.chain())
                        || next.interval() != first.interval() || next.fromMillis() > to
                        || Math.max(to, next.toMillis()) - from > maxSpan) {
                    break;
                }
                to = Math.max(to, next.toMillis());
                members.add(order[position]);
                position++;
            }
            groups.add(new Group(new CandleRequest(first.token(), first.chain(), first.interval(), from, to),
                    members.stream().mapToInt(Integer::intValue).toArray()));
        }
        return groups;
    }

    /** The candles of {@code series} with open time in {@code [fromMillis, toMillis)}, as a series of their own. */
    public static CandleSeries slice(CandleSeries series, long fromMillis, long toMillis) {
        requireNonNull(series, "series is null");
        int from = series.firstIndexAtOrAfter(fromMillis);
        int to = Math.max(from, series.firstIndexAtOrAfter(toMillis));
        int size = to - from;
        long[] timestamps = new long[size];
        double[] open = new double[size];
        double[] high = new double[size];
        double[] low = new double[size];
        double[] close = new double[size];
        double[] volume = new double[size];
        for (int index = 0; index < size; index++) {
            timestamps[index] = series.timestamp(from + index);
            open[index] = series.open(from + index);
            high[index] = series.high(from + index);
            low[index] = series.low(from + index);
            close[index] = series.close(from + index);
            volume[index] = series.volume(from + index);
        }
        return new CandleSeries(series.interval(), timestamps, open, high, low, close, volume, size);
    }
}
