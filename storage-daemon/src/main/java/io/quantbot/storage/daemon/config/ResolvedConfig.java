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
import java.util.Set;
import java.util.TreeSet;

/**
 * The effective configuration: for every known key one value, taken with one precedence
 * everywhere: flag &gt; environment variable &gt; config file &gt; default. Every value is parsed at
 * resolution time, and every problem (unknown key, unparseable value) is reported together.
 */
public final class ResolvedConfig {
    /** QUANTBOT_* variables of the other tools (sweep-runner, the worker, the demo), which are not daemon keys. */
    private static final Set<String> OTHER_TOOLS_VARIABLES = Set.of(
            "QUANTBOT_CONFIG", "QUANTBOT_TARGET", "QUANTBOT_TOKEN", "QUANTBOT_TOKEN_FILE", "QUANTBOT_TLS_CA", "QUANTBOT_WORKER_LOG_LEVEL",
            "QUANTBOT_VENV");

    private final Map<String, ConfigValue> values;
    private final Map<String, Object> parsed;
    private final List<String> warnings;

    private ResolvedConfig(Map<String, ConfigValue> values, Map<String, Object> parsed, List<String> warnings) {
        this.values = values;
        this.parsed = parsed;
        this.warnings = List.copyOf(warnings);
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
        return resolve(properties, file, environment, flags, Installation.detect());
    }

    /** Relative paths are made absolute against {@code installation} (see {@link ConfigProperty.PathBase}). */
    public static ResolvedConfig resolve(
            List<ConfigProperty<?>> properties,
            Optional<Path> file,
            Map<String, String> environment,
            Map<String, String> flags,
            Installation installation) {
        requireNonNull(installation, "installation is null");
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
            try {
                Object parsedValue = property.parse(value.value());
                if (property.pathBase() != ConfigProperty.PathBase.NONE && parsedValue instanceof Path path
                        && !path.isAbsolute() && !path.toString().isEmpty()) {
                    boolean installed = property.pathBase() == ConfigProperty.PathBase.INSTALLATION && value.origin().equals("default");
                    Path base = installed ? installation.home() : installation.workingDirectory();
                    parsedValue = base.resolve(path).normalize();
                    value = value.withResolution(parsedValue + ", relative to the " + (installed ? "installation " : "working directory ") + base);
                }
                parsed.put(key, parsedValue);
            } catch (RuntimeException e) {
                problems.add(key + " (from " + value.origin() + "): " + e.getMessage());
            }
            values.put(key, value);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ResolvedConfig(values, parsed, unknownVariables(environment, byKey.values()));
    }

    /**
     * Things worth a warning that do not stop the daemon: QUANTBOT_* environment variables that name no
     * key (a typo silently changes nothing), each with the closest known name.
     */
    public List<String> warnings() {
        return warnings;
    }

    private static List<String> unknownVariables(Map<String, String> environment, Iterable<ConfigProperty<?>> properties) {
        Set<String> known = new TreeSet<>(OTHER_TOOLS_VARIABLES);
        for (ConfigProperty<?> property : properties) {
            known.add(property.environmentVariable());
        }
        List<String> warnings = new ArrayList<>();
        for (String name : new TreeSet<>(environment.keySet())) {
            if (name.startsWith("QUANTBOT_") && !known.contains(name)) {
                String suggestion = closest(name, known);
                warnings.add("environment variable " + name + " is not a configuration key and is ignored"
                        + (suggestion.isEmpty() ? " (see 'config print --describe' for the variables)" : " (did you mean " + suggestion + "?)"));
            }
        }
        return warnings;
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
        if (!Files.exists(path)) {
            problems.add("config file " + path.toAbsolutePath() + " does not exist");
            return Map.of();
        }
        if (Files.isDirectory(path)) {
            problems.add("config file " + path.toAbsolutePath() + " is a directory, not a file");
            return Map.of();
        }
        Set<String> duplicates = new TreeSet<>();
        Properties properties = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Object put(Object key, Object value) {
                Object previous = super.put(key, value);
                if (previous != null) {
                    duplicates.add(key.toString().trim());
                }
                return previous;
            }
        };
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (java.nio.file.AccessDeniedException e) {
            problems.add("cannot read config file " + path.toAbsolutePath() + ": permission denied");
            return Map.of();
        } catch (IOException | IllegalArgumentException e) {
            problems.add("cannot read config file " + path.toAbsolutePath() + ": " + e.getMessage());
            return Map.of();
        }
        for (String key : duplicates) {
            problems.add("config file " + path.toAbsolutePath() + " sets '" + key + "' more than once (value '" + properties.getProperty(key).trim()
                    + "' would win silently): keep one");
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
