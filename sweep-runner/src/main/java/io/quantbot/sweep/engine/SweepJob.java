package io.quantbot.sweep.engine;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.progress.ProgressReporter;
import io.quantbot.sweep.spec.SweepSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One sweep for a {@link SweepEngine}: the spec as loaded (with the command line's overrides) and as written (so that
 * remote workers can load the same file), the calls artifact, the metadata stored with every run, and how to reach the
 * daemon.
 *
 * @param specName the sweep file's name, e.g. {@code demo-sweep.yaml}
 * @param specText the sweep file's text; a worker loads it and applies {@code spec}'s sweep id and parallelism
 * @param daemon how the driver reached the daemon
 * @param executorTargets daemons the engine's workers write to (spread over them); empty = {@code daemon.target()}
 * @param engineOptions {@code --engine-option KEY=VALUE} pairs, the engine's own settings
 */
public record SweepJob(SweepSpec spec, String specName, String specText, String alertsArtifactId, SweepMetadata metadata,
        Daemon daemon, List<String> executorTargets, Map<String, String> engineOptions,
        ProgressReporter.Mode progressMode, int uploadStreams) {
    public SweepJob {
        requireNonNull(spec, "spec is null");
        requireNonNull(specName, "specName is null");
        requireNonNull(specText, "specText is null");
        requireNonNull(alertsArtifactId, "alertsArtifactId is null");
        requireNonNull(metadata, "metadata is null");
        requireNonNull(daemon, "daemon is null");
        executorTargets = List.copyOf(executorTargets);
        engineOptions = Map.copyOf(engineOptions);
        requireNonNull(progressMode, "progressMode is null");
    }

    /** The daemon options of the command line; paths as given (a worker on another host needs the same files there). */
    public record Daemon(String target, Optional<String> tokenFile, Optional<String> tlsCa, Optional<String> tlsAuthority) {
        public Daemon {
            requireNonNull(target, "target is null");
            requireNonNull(tokenFile, "tokenFile is null");
            requireNonNull(tlsCa, "tlsCa is null");
            requireNonNull(tlsAuthority, "tlsAuthority is null");
        }
    }

    /** The daemons workers write to. */
    public List<String> targets() {
        return executorTargets.isEmpty() ? List.of(daemon.target()) : executorTargets;
    }
}
