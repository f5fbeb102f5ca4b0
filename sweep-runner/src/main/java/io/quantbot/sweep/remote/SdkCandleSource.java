package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.client.ArtifactClient;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.StorageExceptions;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.CandlesResult;
import io.quantbot.storage.v1.ErrorReason;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.simulation.CandleSeries;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Candles from the daemon's BatchGetCandles (which resamples coarser intervals from the stored ones). A
 * token the daemon has no candles for ({@code CANDLES_NOT_FOUND}) becomes an empty series, so its
 * backtests are skipped with {@code no_candles}; any other failed item fails the fetch.
 */
public final class SdkCandleSource implements CandleSource {
    private final ArtifactClient artifacts;
    private final int maxBatchSize;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong candles = new AtomicLong();

    public SdkCandleSource(ArtifactClient artifacts) {
        this(artifacts, 1_000);
    }

    /** @param maxBatchSize requests per BatchGetCandles (the daemon's candles.max-batch, 1,000 by default) */
    public SdkCandleSource(ArtifactClient artifacts, int maxBatchSize) {
        this.artifacts = requireNonNull(artifacts, "artifacts is null");
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1");
        }
        this.maxBatchSize = maxBatchSize;
    }

    @Override
    public int maxBatchSize() {
        return maxBatchSize;
    }

    @Override
    public List<CandleSeries> fetch(List<CandleRequest> candleRequests) {
        requireNonNull(candleRequests, "candleRequests is null");
        List<CandleSeries> result = new ArrayList<>(candleRequests.size());
        for (int from = 0; from < candleRequests.size(); from += maxBatchSize) {
            List<CandleRequest> batch = candleRequests.subList(from, Math.min(candleRequests.size(), from + maxBatchSize));
            List<GetCandlesRequest> wire = new ArrayList<>(batch.size());
            for (CandleRequest request : batch) {
                wire.add(GetCandlesRequest.newBuilder()
                        .setToken(request.token())
                        .setChain(request.chain())
                        .setInterval(request.interval().label())
                        .setFromMs(request.fromMillis())
                        .setToMs(request.toMillis())
                        .build());
            }
            List<CandlesResult> answers = artifacts.batchGetCandles(wire);
            calls.incrementAndGet();
            if (answers.size() != batch.size()) {
                throw new IllegalStateException("BatchGetCandles answered " + answers.size() + " results for " + batch.size()
                        + " requests");
            }
            for (int index = 0; index < batch.size(); index++) {
                result.add(series(batch.get(index), answers.get(index)));
            }
        }
        requests.addAndGet(candleRequests.size());
        return result;
    }

    /** Series requested so far. */
    public long requestCount() {
        return requests.get();
    }

    /** BatchGetCandles calls so far. */
    public long callCount() {
        return calls.get();
    }

    /** Candles received so far. */
    public long candleCount() {
        return candles.get();
    }

    private CandleSeries series(CandleRequest request, CandlesResult answer) {
        if (answer.getResultCase() == CandlesResult.ResultCase.ERROR) {
            StorageException failure = StorageExceptions.fromStatusProto(answer.getError());
            if (failure.errorReason() == ErrorReason.ERROR_REASON_CANDLES_NOT_FOUND) {
                return CandleSeries.empty(request.interval());
            }
            throw failure;
        }
        if (answer.getResultCase() != CandlesResult.ResultCase.CANDLES) {
            throw new IllegalStateException("BatchGetCandles answered neither candles nor an error for " + request);
        }
        Candles packed = answer.getCandles();
        int size = packed.getTsMsCount();
        if (packed.getOpenCount() != size || packed.getHighCount() != size || packed.getLowCount() != size
                || packed.getCloseCount() != size || packed.getVolumeCount() != size) {
            throw new IllegalStateException("BatchGetCandles answered columns of different lengths for " + request);
        }
        long[] timestamps = new long[size];
        double[] open = new double[size];
        double[] high = new double[size];
        double[] low = new double[size];
        double[] close = new double[size];
        double[] volume = new double[size];
        for (int index = 0; index < size; index++) {
            timestamps[index] = packed.getTsMs(index);
            open[index] = packed.getOpen(index);
            high[index] = packed.getHigh(index);
            low[index] = packed.getLow(index);
            close[index] = packed.getClose(index);
            volume[index] = packed.getVolume(index);
        }
        candles.addAndGet(size);
        return new CandleSeries(request.interval(), timestamps, open, high, low, close, volume, size);
    }
}
