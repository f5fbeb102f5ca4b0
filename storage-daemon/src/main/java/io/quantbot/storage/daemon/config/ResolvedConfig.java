package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The effective configuration: for every known key one value, taken with one precedence
 * everywhere: flag &gt; environment variable &gt; config file &gt; default. Every value is parsed at
 * resolution time, and every problem (unknown key, unparseable value) is reported together.
 */
public final class ResolvedConfig {
    private final Map<String, ConfigValue> values;
    private final Map<String, Object> parsed;

    private ResolvedConfig(Map<String, ConfigValue> values, Map<String, Object> parsed) {
        this.values = values;
        this.parsed = parsed;
    }

    public static ResolvedConfig defaults(List<ConfigProperty<?>> properties) {
        return resolve(properties, Optional.empty(), Map.of(), Map.of());
    }

    /** Defaults overridden by flags only; for tests and embedding. */
    public static ResolvedConfig of(List<ConfigProperty<?>> properties, Map<String, String> flags) {
        return resolve(properties, Optional.empty(), Map.of(), flags);
    }

    public static ResolvedConfig resolve(
            List<ConfigProperty<?>> properties,
            Optional<Path> file,
            Map<String, String> environment,
            Map<String, String> flags) {
        requireNonNull(properties, "properties is null");
        requireNonNull(file, "file is null");
        requireNonNull(environment, "environment is null");
        requireNonNull(flags, "flags is null");

        Map<String, ConfigProperty<?>> byKey = new LinkedHashMap<>();
        for (ConfigProperty<?> property : properties) {
            if (byKey.put(property.key(), property) != null) {
                throw new IllegalStateException("configuration key declared twice: " + property.key());
            }
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> fileValues = file.map(path -> readFile(path, problems)).orElse(Map.of());
        String fileOrigin = file.map(path -> "file:" + path).orElse("file");
        checkKnown(fileValues.keySet(), byKey, "config file " + file.map(Path::toString).orElse(""), problems);
        checkKnown(flags.keySet(), byKey, "flag", problems);

        Map<String, ConfigValue> values = new LinkedHashMap<>();
        Map<String, Object> parsed = new LinkedHashMap<>();
        for (ConfigProperty<?> property : byKey.values()) {
            String key = property.key();
            String envName = property.environmentVariable();
            ConfigValue value;
            if (flags.containsKey(key)) {
                value = new ConfigValue(key, flags.get(key), "flag");
            } else if (environment.containsKey(envName)) {
                value = new ConfigValue(key, environment.get(envName), "env:" + envName);
            } else if (fileValues.containsKey(key)) {
                value = new ConfigValue(key, fileValues.get(key), fileOrigin);
            } else {
                value = new ConfigValue(key, property.defaultValue(), "default");
            }
            values.put(key, value);
            try {
                parsed.put(key, property.parse(value.value()));
            } catch (RuntimeException e) {
                problems.add(key + " (from " + value.origin() + "): " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ResolvedConfig(values, parsed);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigProperty<T> property) {
        Object value = parsed.get(property.key());
        if (value == null && !parsed.containsKey(property.key())) {
            throw new IllegalArgumentException("configuration key not registered: " + property.key());
        }
        return (T) value;
    }

    public List<ConfigValue> values() {
        return values.values().stream().sorted(Comparator.comparing(ConfigValue::key)).toList();
    }

    public ConfigValue value(String key) {
        ConfigValue value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("unknown configuration key: " + key);
        }
        return value;
    }

    private static Map<String, String> readFile(Path path, List<String> problems) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            problems.add("cannot read config file " + path + ": " + e.getMessage());
            return Map.of();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            values.put(name.trim(), properties.getProperty(name).trim());
        }
        return values;
    }

    private static void checkKnown(Iterable<String> keys, Map<String, ConfigProperty<?>> known, String source, List<String> problems) {
        for (String key : keys) {
            if (!known.containsKey(key)) {
                String suggestion = closest(key, known.keySet());
                problems.add("unknown configuration key '" + key + "' in " + source
                        + (suggestion.isEmpty() ? "" : " (did you mean '" + suggestion + "'?)"));
            }
        }
    }

    private static String closest(String key, Iterable<String> candidates) {
        String best = "";
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = editDistance(key, candidate);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 4) ? best : "";
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
