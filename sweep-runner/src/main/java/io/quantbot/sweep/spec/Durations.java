package io.quantbot.sweep.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human durations as used in sweep files ({@code 0s}, {@code 500ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 1d}). */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");
    private static final long SECOND = 1_000L;
    private static final long MINUTE = 60 * SECOND;
    private static final long HOUR = 60 * MINUTE;
    private static final long DAY = 24 * HOUR;

    private Durations() {}

    /**
     * Parses a duration to milliseconds. A bare number is rejected (except {@code 0}) because
     * "30" could mean seconds or minutes and a silently wrong lag ruins a sweep.
     */
    public static Optional<Long> parseMillis(String text) {
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Optional.of(0L);
        }
        Matcher matcher = DURATION.matcher(trimmed);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(matcher.group(1));
        long unit = switch (matcher.group(2)) {
            case "ms" -> 1L;
            case "s" -> SECOND;
            case "m" -> MINUTE;
            case "h" -> HOUR;
            case "d" -> DAY;
            default -> throw new IllegalStateException("unreachable unit " + matcher.group(2));
        };
        return Optional.of(Math.multiplyExact(amount, unit));
    }

    /**
     * The canonical text of a duration: the largest unit that divides it exactly ({@code 30000 → 30s},
     * {@code 90000 → 90s}, {@code 0 → 0s}). Scenario ids and hashes use it, so it must never change.
     */
    public static String format(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("negative duration " + millis);
        }
        if (millis == 0) {
            return "0s";
        }
        if (millis % DAY == 0) {
            return millis / DAY + "d";
        }
        if (millis % HOUR == 0) {
            return millis / HOUR + "h";
        }
        if (millis % MINUTE == 0) {
            return millis / MINUTE + "m";
        }
        if (millis % SECOND == 0) {
            return millis / SECOND + "s";
        }
        return millis + "ms";
    }
}
