package io.quantbot.sweep.simulation;

import static java.util.Objects.requireNonNull;

/**
 * A call (alert): a caller posted a token at a time. Mirrors the {@code alerts} columns of
 * docs/artifacts.md.
 *
 * @param timestampMillis call time, epoch milliseconds UTC
 * @param price price at call, {@code NaN} when the source had none; the simulation enters at the
 *     candle open, never at this price
 */
public record Call(String callId, String caller, String token, String chain, long timestampMillis, double price) {
    public Call {
        requireNonNull(callId, "callId is null");
        requireNonNull(caller, "caller is null");
        requireNonNull(token, "token is null");
        requireNonNull(chain, "chain is null");
    }
}
