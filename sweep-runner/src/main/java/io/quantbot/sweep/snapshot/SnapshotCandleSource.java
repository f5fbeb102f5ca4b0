package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.simulation.CandleSeries;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves candle requests from a {@link Snapshot} in memory, cut to each request's time range exactly
 * as the daemon's GetCandles does, so a local run sees the same candles as a run through the daemon.
 */
public final class SnapshotCandleSource implements CandleSource {
    private final Snapshot snapshot;

    public SnapshotCandleSource(Snapshot snapshot) {
        this.snapshot = requireNonNull(snapshot, "snapshot is null");
    }

    @Override
    public List<CandleSeries> fetch(List<CandleRequest> requests) {
        requireNonNull(requests, "requests is null");
        List<CandleSeries> result = new ArrayList<>(requests.size());
        for (CandleRequest request : requests) {
            result.add(snapshot.series(request.chain(), request.token(), request.interval())
                    .map(series -> slice(series, request.fromMillis(), request.toMillis()))
                    .orElseGet(() -> CandleSeries.empty(request.interval())));
        }
        return result;
    }

    static CandleSeries slice(CandleSeries series, long fromMillis, long toMillis) {
        int from = series.firstIndexAtOrAfter(fromMillis);
        int to = series.firstIndexAtOrAfter(toMillis);
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
