package io.quantbot.storage.daemon.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers for the value syntaxes configuration keys accept: sizes ("64MiB"), durations ("30s"), lists ("a,b"). */
public final class ConfigValueParsers {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

    private ConfigValueParsers() {}

    public static int parseInt(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer: '" + value + "'");
        }
    }

    public static boolean parseBoolean(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("not a boolean (true/false): '" + value + "'");
        };
    }

    /** Bytes from "1048576", "512KB", "64MiB", "2GB" (KB/MB/GB are powers of 1024, like DuckDB's memory_limit). */
    public static long parseSize(String value) {
        Matcher matcher = SIZE.matcher(value.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a size (e.g. 512KiB, 64MiB, 2GiB): '" + value + "'");
        }
        long number = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "b" : matcher.group(2).toLowerCase(Locale.ROOT);
        long multiplier = switch (unit.charAt(0)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1L;
        };
        return Math.multiplyExact(number, multiplier);
    }

    /** Durations like "250ms", "30s", "5m", "2h", "7d"; "0" means zero. */
    public static Duration parseDuration(String value) {
        String trimmed = value.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = DURATION.matcher(trimmed);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a duration (e.g. 250ms, 30s, 5m, 2h): '" + value + "'");
        }
        long number = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> Duration.ofMillis(number);
            case "s" -> Duration.ofSeconds(number);
            case "m" -> Duration.ofMinutes(number);
            case "h" -> Duration.ofHours(number);
            default -> Duration.ofDays(number);
        };
    }

    public static List<String> parseList(String value) {
        if (value.isBlank()) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    public static int parsePort(String value) {
        int port = parseInt(value);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("not a port (0-65535; 0 = any free port): '" + value + "'");
        }
        return port;
    }
}
