package io.quantbot.sweep.candles;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.spec.CandleInterval;

/**
 * The candles one call needs at one interval: open times in {@code [fromMillis, toMillis)}. The shape of
 * {@code GetCandlesRequest}, so an SDK-backed source maps it one to one.
 */
public record CandleRequest(String token, String chain, CandleInterval interval, long fromMillis, long toMillis) {
    public CandleRequest {
        requireNonNull(token, "token is null");
        requireNonNull(chain, "chain is null");
        requireNonNull(interval, "interval is null");
        if (toMillis <= fromMillis) {
            throw new IllegalArgumentException("empty time range [" + fromMillis + ", " + toMillis + ")");
        }
    }
}
