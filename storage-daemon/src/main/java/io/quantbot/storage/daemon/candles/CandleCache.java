package io.quantbot.storage.daemon.candles;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.CandlesConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Candle series read from immutable artifacts, so a cached series never goes stale. Bounded in bytes
 * (least recently used first out); concurrent misses of one series load it once.
 */
@Singleton
public final class CandleCache {
    private final long capacityBytes;
    private final LinkedHashMap<String, CandleSeries> entries = new LinkedHashMap<>(256, 0.75f, true);
    private final ConcurrentHashMap<String, CompletableFuture<CandleSeries>> loading = new ConcurrentHashMap<>();
    private final Counter hits;
    private final Counter misses;
    private final Counter evictions;
    private long bytes;

    @Inject
    public CandleCache(CandlesConfig config, MeterRegistry registry) {
        this.capacityBytes = requireNonNull(config, "config is null").cacheSize();
        this.hits = Counter.builder("quantbot.candles.cache.requests").tag("result", "hit")
                .description("Candle series looked up in the cache, by result").register(registry);
        this.misses = Counter.builder("quantbot.candles.cache.requests").tag("result", "miss")
                .description("Candle series looked up in the cache, by result").register(registry);
        this.evictions = Counter.builder("quantbot.candles.cache.evictions")
                .description("Candle series evicted to stay within candles.cache-size").register(registry);
        Gauge.builder("quantbot.candles.cache.size", this, CandleCache::sizeBytes).baseUnit("bytes")
                .description("Memory held by cached candle series").register(registry);
        Gauge.builder("quantbot.candles.cache.capacity", () -> capacityBytes).baseUnit("bytes")
                .description("The cache bound (candles.cache-size)").register(registry);
    }

    public CandleSeries get(String key, Supplier<CandleSeries> loader) {
        synchronized (this) {
            CandleSeries cached = entries.get(key);
            if (cached != null) {
                hits.increment();
                return cached;
            }
        }
        misses.increment();
        CompletableFuture<CandleSeries> mine = new CompletableFuture<>();
        CompletableFuture<CandleSeries> theirs = loading.putIfAbsent(key, mine);
        if (theirs != null) {
            try {
                return theirs.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
            }
        }
        try {
            CandleSeries series = loader.get();
            put(key, series);
            mine.complete(series);
            return series;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loading.remove(key, mine);
        }
    }

    public synchronized long sizeBytes() {
        return bytes;
    }

    public synchronized int entryCount() {
        return entries.size();
    }

    private synchronized void put(String key, CandleSeries series) {
        if (series.bytes() > capacityBytes) {
            return;
        }
        CandleSeries previous = entries.put(key, series);
        if (previous != null) {
            bytes -= previous.bytes();
        }
        bytes += series.bytes();
        Iterator<Map.Entry<String, CandleSeries>> eldest = entries.entrySet().iterator();
        while (bytes > capacityBytes && eldest.hasNext()) {
            Map.Entry<String, CandleSeries> entry = eldest.next();
            if (entry.getKey().equals(key)) {
                continue;
            }
            bytes -= entry.getValue().bytes();
            eldest.remove();
            evictions.increment();
        }
    }
}
