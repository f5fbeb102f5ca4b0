package io.quantbot.spark;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.candles.CandleRequest;
import io.quantbot.sweep.candles.CandleSource;
import io.quantbot.sweep.simulation.CandleSeries;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The candles of one sweep in one executor JVM: each requested series is fetched through BatchGetCandles once, by the
 * first task that asks for it, and every later task of the JVM (and a concurrent one, which waits for it) reuses it.
 * Every task of an interval asks for the same merged requests (the runner's CandleFetchPlan over the same calls), so
 * a JVM fetches each interval's candles once however many tasks it runs.
 */
final class JvmCandleCache {
    private final CandleSource daemon;
    private final ConcurrentHashMap<CandleRequest, CompletableFuture<CandleSeries>> series = new ConcurrentHashMap<>();

    JvmCandleCache(CandleSource daemon) {
        this.daemon = requireNonNull(daemon, "daemon is null");
    }

    /** What one task fetched itself (series and BatchGetCandles calls); what it found in the cache is not counted. */
    record Counters(LongAdder series, LongAdder batchCalls) {
        Counters() {
            this(new LongAdder(), new LongAdder());
        }
    }

    /** The cache as one task's candle source, counting that task's fetches. */
    CandleSource forTask(Counters counters) {
        requireNonNull(counters, "counters is null");
        return new CandleSource() {
            @Override
            public int maxBatchSize() {
                return daemon.maxBatchSize();
            }

            @Override
            public List<CandleSeries> fetch(List<CandleRequest> requests) throws IOException, InterruptedException {
                return JvmCandleCache.this.fetch(requests, counters);
            }
        };
    }

    private List<CandleSeries> fetch(List<CandleRequest> requests, Counters counters) throws IOException, InterruptedException {
        List<CompletableFuture<CandleSeries>> answers = new ArrayList<>(requests.size());
        List<CandleRequest> mine = new ArrayList<>();
        List<CompletableFuture<CandleSeries>> mineFutures = new ArrayList<>();
        for (CandleRequest request : requests) {
            CompletableFuture<CandleSeries> fresh = new CompletableFuture<>();
            CompletableFuture<CandleSeries> existing = series.putIfAbsent(request, fresh);
            if (existing == null) {
                mine.add(request);
                mineFutures.add(fresh);
                answers.add(fresh);
            }
            else {
                answers.add(existing);
            }
        }
        if (!mine.isEmpty()) {
            try {
                List<CandleSeries> fetched = daemon.fetch(mine);
                counters.series().add(mine.size());
                counters.batchCalls().add((mine.size() + daemon.maxBatchSize() - 1) / daemon.maxBatchSize());
                for (int index = 0; index < mine.size(); index++) {
                    mineFutures.get(index).complete(fetched.get(index));
                }
            }
            catch (IOException | InterruptedException | RuntimeException e) {
                // Not cached: the next task asks again.
                for (int index = 0; index < mine.size(); index++) {
                    series.remove(mine.get(index), mineFutures.get(index));
                    mineFutures.get(index).completeExceptionally(e);
                }
                throw e;
            }
        }
        List<CandleSeries> result = new ArrayList<>(answers.size());
        for (CompletableFuture<CandleSeries> answer : answers) {
            try {
                result.add(answer.join());
            }
            catch (CompletionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw new IOException("candles fetched by another task failed: " + io.getMessage(), io);
                }
                throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
            }
        }
        return result;
    }

    /** Series held. */
    int size() {
        return series.size();
    }
}
