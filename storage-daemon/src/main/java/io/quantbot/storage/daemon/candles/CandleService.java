package io.quantbot.storage.daemon.candles;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.config.CandlesConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * GetCandles: finds the active ohlcv_slice artifacts of a series (by their token/chain/interval tags),
 * reads them through the cache, merges overlapping artifacts (the newest wins on a duplicate ts), and
 * resamples when a coarser interval than the stored one is asked for.
 */
@Singleton
public final class CandleService {
    private static final Set<String> CHAINS = Set.of("solana", "ethereum", "bsc", "base", "evm", "arb", "op", "unknown");

    private final LakeCatalog catalog;
    private final CandleStore store;
    private final CandleCache cache;
    private final CandlesConfig config;

    @Inject
    public CandleService(LakeCatalog catalog, CandleStore store, CandleCache cache, CandlesConfig config) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.store = requireNonNull(store, "store is null");
        this.cache = requireNonNull(cache, "cache is null");
        this.config = requireNonNull(config, "config is null");
    }

    public record CandleResult(String token, String chain, String interval, String sourceInterval, List<String> sourceArtifactIds, CandleSeries series) {}

    public CandleResult getCandles(String token, String chain, String interval, long fromMs, long toMs) {
        validate(token, chain, interval, fromMs, toMs);
        long intervalMs = CandleInterval.millis(interval);
        List<ArtifactRecord> artifacts = catalog.findActiveByTags(ArtifactTypes.OHLCV_SLICE_TYPE, Map.of("token", token, "chain", chain));
        if (artifacts.isEmpty()) {
            throw StorageException.builder(ErrorCode.CANDLES_NOT_FOUND, "no candles for token " + token + " on " + chain
                            + " (no active ohlcv_slice artifact with those tags; import a snapshot that has it)")
                    .metadata("token", token).metadata("chain", chain).build();
        }
        String source = chooseSourceInterval(artifacts, interval, intervalMs, token, chain);
        long sourceMs = CandleInterval.millis(source);
        // Widen the window to whole buckets so a resampled edge bucket is complete.
        long readFrom = Math.floorDiv(fromMs, intervalMs) * intervalMs;
        long readTo = toMs == 0 ? 0 : Math.floorDiv(toMs + intervalMs - 1, intervalMs) * intervalMs;
        List<ArtifactRecord> overlapping = new ArrayList<>();
        for (ArtifactRecord artifact : artifacts) {
            if (source.equals(artifact.tags().get("interval")) && artifact.overlaps(readFrom == 0 ? 1 : readFrom, readTo)) {
                overlapping.add(artifact);
            }
        }
        CandleSeries merged = merge(overlapping, token, chain, source, readFrom, readTo);
        CandleSeries result = (sourceMs == intervalMs ? merged : CandleResampler.resample(merged, intervalMs)).slice(fromMs, toMs);
        if (result.size() > config.maxCandlesPerRequest()) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "the range holds " + result.size() + " candles; the limit "
                            + "(candles.max-candles-per-request) is " + config.maxCandlesPerRequest() + ": ask for a shorter range")
                    .metadata("limit", config.maxCandlesPerRequest()).build();
        }
        return new CandleResult(token, chain, interval, source, overlapping.stream().map(ArtifactRecord::id).toList(), result);
    }

    public int maxBatch() {
        return config.maxBatch();
    }

    private CandleSeries merge(List<ArtifactRecord> artifacts, String token, String chain, String interval, long fromMs, long toMs) {
        if (artifacts.isEmpty()) {
            return CandleSeries.EMPTY;
        }
        if (artifacts.size() == 1) {
            return load(artifacts.get(0), token, chain, interval).slice(fromMs, toMs);
        }
        // Oldest first, so the newest artifact's candle replaces an older one with the same ts.
        TreeMap<Long, double[]> byTs = new TreeMap<>();
        for (int a = artifacts.size() - 1; a >= 0; a--) {
            CandleSeries part = load(artifacts.get(a), token, chain, interval).slice(fromMs, toMs);
            for (int i = 0; i < part.size(); i++) {
                byTs.put(part.ts()[i], new double[] {part.open()[i], part.high()[i], part.low()[i], part.close()[i], part.volume()[i]});
            }
        }
        int n = byTs.size();
        long[] ts = new long[n];
        double[] open = new double[n];
        double[] high = new double[n];
        double[] low = new double[n];
        double[] close = new double[n];
        double[] volume = new double[n];
        int i = 0;
        for (Map.Entry<Long, double[]> entry : byTs.entrySet()) {
            ts[i] = entry.getKey();
            double[] v = entry.getValue();
            open[i] = v[0];
            high[i] = v[1];
            low[i] = v[2];
            close[i] = v[3];
            volume[i] = v[4];
            i++;
        }
        return new CandleSeries(ts, open, high, low, close, volume);
    }

    private CandleSeries load(ArtifactRecord artifact, String token, String chain, String interval) {
        return cache.get(artifact.id() + '\u0000' + token + '\u0000' + chain + '\u0000' + interval, () -> store.load(artifact, token, chain, interval));
    }

    /** The stored interval to read: the requested one, else the coarsest stored interval that divides it. */
    private static String chooseSourceInterval(List<ArtifactRecord> artifacts, String interval, long intervalMs, String token, String chain) {
        String best = null;
        long bestMs = 0;
        List<String> stored = new ArrayList<>();
        for (ArtifactRecord artifact : artifacts) {
            String candidate = artifact.tags().get("interval");
            if (candidate == null || !CandleInterval.isKnown(candidate)) {
                continue;
            }
            if (!stored.contains(candidate)) {
                stored.add(candidate);
            }
            long candidateMs = CandleInterval.millis(candidate);
            if (candidateMs <= intervalMs && intervalMs % candidateMs == 0 && candidateMs > bestMs) {
                best = candidate;
                bestMs = candidateMs;
            }
        }
        if (best == null) {
            throw StorageException.builder(ErrorCode.INVALID_INTERVAL, "candles of " + token + " on " + chain + " are stored at " + String.join(", ", stored)
                            + "; " + interval + " cannot be built from them (only coarser intervals that are whole multiples can)")
                    .violation("interval", "stored intervals: " + String.join(", ", stored)).build();
        }
        return best;
    }

    private static void validate(String token, String chain, String interval, long fromMs, long toMs) {
        if (token.isEmpty() || token.length() > 128 || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, "token", "token must be 1 to 128 printable ASCII characters (a mint or 0x address, exactly as stored)");
        }
        if (!CHAINS.contains(chain)) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, "chain", "unknown chain '" + chain + "'; use one of " + String.join(", ", new java.util.TreeSet<>(CHAINS)));
        }
        CandleInterval.millis(interval);
        if (fromMs < 0 || toMs < 0) {
            throw invalid(ErrorCode.INVALID_TIME_RANGE, "from_ms", "from_ms and to_ms are epoch milliseconds and must not be negative");
        }
        if (toMs != 0 && toMs <= fromMs) {
            throw invalid(ErrorCode.INVALID_TIME_RANGE, "to_ms", "empty time range: to_ms (" + toMs + ") must be after from_ms (" + fromMs
                    + "); the range is [from_ms, to_ms), and to_ms = 0 means no upper bound");
        }
    }

    private static StorageException invalid(ErrorCode code, String field, String message) {
        return StorageException.builder(code, message).violation(field, message).build();
    }
}
