package io.quantbot.sweep.simulation;

/** Why a call could not be traded in a scenario; {@link #label()} is the {@code skip_reason} value. */
public enum SkipReason {
    /** No candle of the call's token, chain and interval opens at or after call time + lag (a call after the data ends). */
    NO_CANDLES("no_candles"),
    /** Candles open after call time + lag, but the first one only at or after call time + lag + time frame. */
    ENTRY_AFTER_DATA("entry_after_data"),
    /** The entry price (the entry candle's open, or its close for next_close) is not a positive finite number. */
    BAD_PRICE("bad_price"),
    /** Limit entry: no candle in the window traded at or below the limit price. */
    LIMIT_NOT_FILLED("limit_not_filled"),
    /** Limit entry: the call has no usable price at call, so there is no limit price. */
    NO_CALL_PRICE("no_call_price");

    private final String label;

    SkipReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
