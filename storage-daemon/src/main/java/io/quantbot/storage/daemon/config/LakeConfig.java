package io.quantbot.storage.daemon.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Housekeeping of the Parquet lake. */
public record LakeConfig(Duration orphanGracePeriod) {
    public static final ConfigProperty<Duration> ORPHAN_GRACE_PERIOD = ConfigProperty.of(
            "lake.orphan-grace-period", "1h",
            "Files in lake/ that no catalog entry names (and files in staging/) are removed at start and by POST /admin/sweep-orphans"
                    + " once they are older than this; younger ones may belong to a publish in flight and are kept.",
            ConfigValueParsers::parseDuration);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(ORPHAN_GRACE_PERIOD);

    public static LakeConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return new LakeConfig(config.get(ORPHAN_GRACE_PERIOD));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        ConfigChecks.positive(problems, config, ORPHAN_GRACE_PERIOD);
        return problems;
    }
}
