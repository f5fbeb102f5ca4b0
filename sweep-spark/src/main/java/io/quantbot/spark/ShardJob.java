package io.quantbot.spark;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.engine.SweepJob;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import java.io.Serializable;
import java.util.List;

/**
 * What every task of a sweep needs, shipped with the task closure: the sweep file's text (an executor loads it as
 * {@code run} did, then applies the same sweep id and parallelism), the calls artifact, the run metadata and how to
 * reach the daemons. Plain strings and numbers only, so it serializes the same on every JVM.
 */
record ShardJob(String specName, String specText, String sweepId, int parallelism, String specHash,
        String alertsArtifactId, String runnerVersion, String runnerGitSha, String runnerGitDirty, String daemonVersion,
        String daemonDuckdbVersion, int daemonSchemaVersion, String callsSource, String callsContentHash,
        List<String> targets, String tokenFile, String tlsCa, String tlsAuthority, int uploadStreams,
        long leaseTtlMillis) implements Serializable {
    private static final long serialVersionUID = 1L;

    ShardJob {
        requireNonNull(specText, "specText is null");
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no daemon target");
        }
    }

    static ShardJob of(SweepJob job, long leaseTtlMillis, int uploadStreams) {
        SweepMetadata metadata = job.metadata();
        return new ShardJob(job.specName(), job.specText(), job.spec().sweepId(), job.spec().parallelism(),
                metadata.specHash(), job.alertsArtifactId(), metadata.runner().version(), metadata.runner().gitSha(),
                metadata.runner().gitDirty(), metadata.daemonVersion(), metadata.daemonDuckdbVersion(),
                metadata.daemonSchemaVersion(), metadata.callsSource(), metadata.callsContentHash(), job.targets(),
                job.daemon().tokenFile().orElse(null), job.daemon().tlsCa().orElse(null),
                job.daemon().tlsAuthority().orElse(null), uploadStreams, leaseTtlMillis);
    }

    SweepMetadata metadata() {
        return new SweepMetadata(new RunnerBuild(runnerVersion, runnerGitSha, runnerGitDirty), specHash, daemonVersion,
                daemonDuckdbVersion, daemonSchemaVersion, callsSource, alertsArtifactId, callsContentHash);
    }

    /** The daemon a shard's task writes to: shards are spread over the targets in turn. */
    String targetOf(int shardIndex) {
        return targets.get(Math.floorMod(shardIndex, targets.size()));
    }
}
