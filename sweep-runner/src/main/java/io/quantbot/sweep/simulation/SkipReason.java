package io.quantbot.sweep.simulation;

/** Why a call could not be traded in a scenario; {@link #label()} is the {@code skip_reason} value. */
public enum SkipReason {
    /** The series for the call's token, chain and interval has no candles at all. */
    NO_CANDLES("no_candles"),
    /** No candle opens at or after call time + lag within the time frame. */
    ENTRY_AFTER_DATA("entry_after_data"),
    /** The entry candle's open is not a positive number. */
    BAD_PRICE("bad_price");

    private final String label;

    SkipReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
