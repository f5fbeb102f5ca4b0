package io.quantbot.sweep.spec;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The candle intervals the storage daemon knows (docs/artifacts.md, {@code ohlcv_slice.interval}). */
public enum CandleInterval {
    ONE_SECOND("1s", 1_000L),
    FIFTEEN_SECONDS("15s", 15_000L),
    ONE_MINUTE("1m", 60_000L),
    FIVE_MINUTES("5m", 300_000L),
    FIFTEEN_MINUTES("15m", 900_000L),
    ONE_HOUR("1h", 3_600_000L),
    FOUR_HOURS("4h", 14_400_000L),
    ONE_DAY("1d", 86_400_000L);

    private final String label;
    private final long millis;

    CandleInterval(String label, long millis) {
        this.label = label;
        this.millis = millis;
    }

    /** The wire name, e.g. {@code 1m}. */
    public String label() {
        return label;
    }

    public long millis() {
        return millis;
    }

    public static Optional<CandleInterval> fromLabel(String label) {
        for (CandleInterval interval : values()) {
            if (interval.label.equals(label)) {
                return Optional.of(interval);
            }
        }
        return Optional.empty();
    }

    /** "1s, 15s, 1m, …" for error messages. */
    public static String allLabels() {
        return Arrays.stream(values()).map(CandleInterval::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label;
    }
}
