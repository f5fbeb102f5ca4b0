package io.quantbot.storage.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which engine stores the daemon's data. {@code embedded} (the default): one data dir, DuckDB for state, catalog
 * and runs, Parquet files for the lake. {@code cluster}: several daemons share one PostgreSQL for state, the artifact
 * catalog and the runs' leases ({@link ClusterConfig} names it) and one warehouse holding the catalog's files and the
 * lake as Apache Iceberg tables; a run's hot rows stay on the daemon that owns it until sealed, candles and staging on
 * each node's data dir (docs/operations.md, "Cluster mode").
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
                    + " for state, the artifact catalog and run leases, and one warehouse for the lake files and Iceberg tables, set by"
                    + " the cluster.* keys; a run's rows stay on the daemon that owns it until sealed).",
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
