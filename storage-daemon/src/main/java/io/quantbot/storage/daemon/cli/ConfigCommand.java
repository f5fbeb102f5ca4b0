package io.quantbot.storage.daemon.cli;

import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.ConfigProperty;
import io.quantbot.storage.daemon.config.ConfigValue;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code config print} and {@code config check}. */
@Command(name = "config", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
        description = "Inspect the configuration.",
        subcommands = {ConfigCommand.PrintCommand.class, ConfigCommand.CheckCommand.class})
public final class ConfigCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    @Command(name = "print", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
            description = {"Print every configuration key with its effective value and where it came from (default, file, env, flag).",
                    "A relative path also shows what it resolved to: installation defaults (the worker's Python) against the"
                            + " installation, everything else against the working directory."},
            footer = {"", ExitCodes.HELP})
    static final class PrintCommand implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @Option(names = "--output", paramLabel = "table|json|csv|markdown", defaultValue = "table",
                description = "Output format (default table; markdown is the table of docs/operations.md).")
        String output;

        @Option(names = "--describe", description = "Add each key's environment variable and description.")
        boolean describe;

        @Spec
        CommandLine.Model.CommandSpec spec;

        private final Map<String, String> environment;

        PrintCommand(Map<String, String> environment) {
            this.environment = environment;
        }

        @Override
        public Integer call() {
            ResolvedConfig config;
            try {
                config = options.resolve(environment);
            } catch (ConfigException e) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("bad configuration:");
                e.problems().forEach(problem -> err.println("  " + problem));
                return ExitCodes.USAGE;
            }
            config.warnings().forEach(warning -> spec.commandLine().getErr().println("warning: " + warning));
            PrintWriter out = spec.commandLine().getOut();
            switch (output) {
                case "json" -> printJson(config, out);
                case "csv" -> printCsv(config, out);
                case "table" -> printTable(config, out);
                case "markdown" -> printMarkdown(config, out);
                default -> {
                    spec.commandLine().getErr().println("--output must be table, json, csv or markdown, not '" + output + "'");
                    return ExitCodes.USAGE;
                }
            }
            out.flush();
            return ExitCodes.OK;
        }

        private void printTable(ResolvedConfig config, PrintWriter out) {
            int keyWidth = "KEY".length();
            int valueWidth = "VALUE".length();
            for (ConfigValue value : config.values()) {
                keyWidth = Math.max(keyWidth, value.key().length());
                valueWidth = Math.max(valueWidth, display(value).length());
            }
            String format = "%-" + keyWidth + "s  %-" + valueWidth + "s  %s%n";
            out.printf(format, "KEY", "VALUE", "ORIGIN");
            for (ConfigValue value : config.values()) {
                out.printf(format, value.key(), display(value), value.resolution().isEmpty()
                        ? value.origin() : value.origin() + " -> " + value.resolution());
                if (describe) {
                    ConfigProperty<?> property = property(value.key());
                    out.printf("    env %s: %s%n", property.environmentVariable(), property.description());
                }
            }
        }

        private static void printJson(ResolvedConfig config, PrintWriter out) {
            out.println("[");
            var values = config.values();
            for (int i = 0; i < values.size(); i++) {
                ConfigValue value = values.get(i);
                ConfigProperty<?> property = property(value.key());
                out.printf("  {\"key\": %s, \"value\": %s, \"origin\": %s, \"env\": %s, \"default\": %s, \"description\": %s,"
                                + " \"resolved\": %s}%s%n",
                        quote(value.key()), quote(shown(value)), quote(value.origin()), quote(property.environmentVariable()),
                        quote(property.defaultValue()), quote(property.description()), quote(value.resolution()), i + 1 < values.size() ? "," : "");
            }
            out.println("]");
        }

        /** The reference table of docs/operations.md (defaults, not effective values). */
        private static void printMarkdown(ResolvedConfig config, PrintWriter out) {
            out.println("| key | default | environment variable | meaning |");
            out.println("|---|---|---|---|");
            for (ConfigValue value : config.values()) {
                ConfigProperty<?> property = property(value.key());
                String defaultValue = property.defaultValue().isEmpty() ? "(empty)" : property.defaultValue();
                out.printf("| `%s` | `%s` | `%s` | %s |%n", property.key(), defaultValue, property.environmentVariable(),
                        property.description().replace("|", "\\|"));
            }
        }

        private static void printCsv(ResolvedConfig config, PrintWriter out) {
            out.println("key,value,origin,env,default,resolved");
            for (ConfigValue value : config.values()) {
                ConfigProperty<?> property = property(value.key());
                out.println(String.join(",", csv(value.key()), csv(shown(value)), csv(value.origin()), csv(property.environmentVariable()),
                        csv(property.defaultValue()), csv(value.resolution())));
            }
        }

        private static ConfigProperty<?> property(String key) {
            return ConfigOptions.properties().stream().filter(p -> p.key().equals(key)).findFirst().orElseThrow();
        }

        private static String display(ConfigValue value) {
            String shown = shown(value);
            return shown.isEmpty() ? "\"\"" : shown;
        }

        /** Secrets are never printed, only whether one is set. */
        private static String shown(ConfigValue value) {
            return property(value.key()).secret() && !value.value().isEmpty() ? "****" : value.value();
        }

        private static String csv(String value) {
            return value.contains(",") || value.contains("\"") ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
        }

        private static String quote(String value) {
            StringBuilder out = new StringBuilder("\"");
            for (char c : value.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            return out.append('"').toString();
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
            description = {"Validate a configuration file: unknown keys and bad values are reported, all at once.",
                    "Secrets are read from their environment variables too (e.g. QUANTBOT_CLUSTER_POSTGRES_PASSWORD), since they"
                            + " belong there rather than in the file; no other variable is."},
            footer = {"", ExitCodes.HELP})
    static final class CheckCommand implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The configuration file to check.")
        Path file;

        @Spec
        CommandLine.Model.CommandSpec spec;

        private final Map<String, String> secrets = new java.util.LinkedHashMap<>();

        CheckCommand(Map<String, String> environment) {
            for (var property : ConfigOptions.properties()) {
                String value = environment.get(property.environmentVariable());
                if (property.secret() && value != null) {
                    secrets.put(property.environmentVariable(), value);
                }
            }
        }

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                spec.commandLine().getErr().println(file + ": no such file");
                return ExitCodes.USAGE;
            }
            List<String> problems;
            try {
                problems = ConfigValidation.problems(ResolvedConfig.resolve(ConfigOptions.properties(), Optional.of(file), secrets, Map.of()));
            } catch (ConfigException e) {
                problems = e.problems();
            }
            if (!problems.isEmpty()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println(file + ": " + problems.size() + " problem(s):");
                problems.forEach(problem -> err.println("  " + problem));
                return ExitCodes.USAGE;
            }
            spec.commandLine().getOut().println(file + ": ok");
            return ExitCodes.OK;
        }
    }
}
