package io.quantbot.storage.daemon.candles;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The candle intervals the system knows (DOMAIN.md), as names and milliseconds. */
public final class CandleInterval {
    private static final Map<String, Long> MILLIS = new LinkedHashMap<>();

    static {
        MILLIS.put("1s", 1_000L);
        MILLIS.put("15s", 15_000L);
        MILLIS.put("1m", 60_000L);
        MILLIS.put("5m", 300_000L);
        MILLIS.put("15m", 900_000L);
        MILLIS.put("1h", 3_600_000L);
        MILLIS.put("4h", 14_400_000L);
        MILLIS.put("1d", 86_400_000L);
    }

    private CandleInterval() {}

    public static long millis(String interval) {
        Long millis = MILLIS.get(interval);
        if (millis == null) {
            throw StorageException.builder(ErrorCode.INVALID_INTERVAL, "unknown interval '" + interval + "'; use one of " + String.join(" ", MILLIS.keySet()))
                    .violation("interval", "one of " + String.join(" ", MILLIS.keySet()))
                    .build();
        }
        return millis;
    }

    public static boolean isKnown(String interval) {
        return MILLIS.containsKey(interval);
    }
}
