package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.simulation.CandleResampler;
import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.spec.CandleInterval;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A snapshot in memory: calls and candle series by (chain, token, interval). A series at an interval
 * the files do not hold is aggregated from the finest one that divides it, once, then cached.
 */
public final class Snapshot {
    /** Identifies one series. */
    public record SeriesKey(String chain, String token, CandleInterval interval) {
        public SeriesKey {
            requireNonNull(chain, "chain is null");
            requireNonNull(token, "token is null");
            requireNonNull(interval, "interval is null");
        }
    }

    private final List<Call> calls;
    private final Map<SeriesKey, CandleSeries> series;

    public Snapshot(List<Call> calls, Map<SeriesKey, CandleSeries> series) {
        this.calls = List.copyOf(requireNonNull(calls, "calls is null"));
        this.series = new ConcurrentHashMap<>(requireNonNull(series, "series is null"));
    }

    public List<Call> calls() {
        return calls;
    }

    /** Number of series read from files plus those aggregated so far. */
    public int seriesCount() {
        return series.size();
    }

    /** The series, or empty when the token has no candles at a usable interval. Thread-safe. */
    public Optional<CandleSeries> series(String chain, String token, CandleInterval interval) {
        SeriesKey key = new SeriesKey(chain, token, interval);
        CandleSeries exact = series.get(key);
        if (exact != null) {
            return Optional.of(exact);
        }
        for (CandleInterval finer : CandleInterval.values()) {
            if (finer.millis() >= interval.millis() || interval.millis() % finer.millis() != 0) {
                continue;
            }
            CandleSeries source = series.get(new SeriesKey(chain, token, finer));
            if (source != null) {
                return Optional.of(series.computeIfAbsent(key, ignored -> CandleResampler.resample(source, interval)));
            }
        }
        return Optional.empty();
    }
}
