package io.quantbot.sweep.candles;

import io.quantbot.sweep.simulation.CandleSeries;
import java.io.IOException;
import java.util.List;

/**
 * Where a sweep gets candles: a snapshot in memory now ({@code SnapshotCandleSource}), the daemon's
 * BatchGetCandles with the client SDK later. Requests come in batches of at most {@link #maxBatchSize()}.
 */
public interface CandleSource {
    /**
     * One series per request, in request order, holding the candles whose open time lies in the
     * request's range. A token the source has no candles for yields an empty series (the backtest
     * then reports {@code no_candles}); any other failure is an exception.
     */
    List<CandleSeries> fetch(List<CandleRequest> requests) throws IOException, InterruptedException;

    /** BatchGetCandles accepts at most 1,000 requests. */
    default int maxBatchSize() {
        return 1_000;
    }
}
