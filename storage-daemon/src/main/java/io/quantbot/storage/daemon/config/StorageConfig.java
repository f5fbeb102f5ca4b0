package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which engine stores the daemon's data. {@code embedded} (the default): one data dir, DuckDB for state, catalog
 * and runs, Parquet files for the lake. {@code cluster}: several daemons share one PostgreSQL for state and the artifact
 * catalog ({@link ClusterConfig} names it) and one warehouse holding the catalog's files and the lake as Apache Iceberg
 * tables; runs' hot rows, candles and staging stay on each node's data dir (docs/operations.md, "Cluster mode").
 */
public record StorageConfig(Mode mode) {
    /** The storage engines the daemon knows. */
    public enum Mode {
        EMBEDDED,
        CLUSTER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final ConfigProperty<Mode> MODE = ConfigProperty.of(
            "storage.mode", "embedded",
            "The storage engine: embedded (one data dir; DuckDB and Parquet) or cluster (several daemons share one PostgreSQL"
                    + " for state and the artifact catalog and one warehouse for the lake as Iceberg tables, set by the cluster.* keys;"
                    + " runs' hot rows, candles and staging stay per node).",
            StorageConfig::parseMode);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(MODE);

    public static StorageConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new StorageConfig(config.get(MODE));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        problems.addAll(ClusterConfig.problems(config));
        return problems;
    }

    static Mode parseMode(String value) {
        for (Mode mode : Mode.values()) {
            if (mode.label().equals(value.trim())) {
                return mode;
            }
        }
        throw new IllegalArgumentException("not a storage mode (embedded or cluster): '" + value + "'");
    }
}
