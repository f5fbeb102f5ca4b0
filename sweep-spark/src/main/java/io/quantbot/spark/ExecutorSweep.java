package io.quantbot.spark;

import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.spec.InvalidSweepSpecException;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What one executor JVM keeps for the sweep it works on, per daemon target: a client, the spec (loaded from the text
 * the driver shipped and checked against the driver's spec hash), the calls (read once from the alerts artifact) and
 * the candle cache. A JVM that starts tasks of another sweep drops the old sweep's state first.
 */
final class ExecutorSweep {
    private static final Map<String, ExecutorSweep> BY_TARGET = new HashMap<>();
    private static String currentSweep;

    final QuantbotStorageClient client;
    final SweepSpec spec;
    final SweepMetadata metadata;
    final SweepCalls calls;
    final JvmCandleCache candles;

    private ExecutorSweep(QuantbotStorageClient client, SweepSpec spec, SweepMetadata metadata, SweepCalls calls) {
        this.client = client;
        this.spec = spec;
        this.metadata = metadata;
        this.calls = calls;
        this.candles = new JvmCandleCache(new SdkCandleSource(client.artifacts()));
    }

    /** This JVM's state for the job's sweep at the target, made by the first task that needs it. */
    static synchronized ExecutorSweep of(ShardJob job, String target) {
        String sweep = job.sweepId() + "|" + job.specHash() + "|" + job.alertsArtifactId();
        if (!sweep.equals(currentSweep)) {
            BY_TARGET.values().forEach(old -> old.client.close());
            BY_TARGET.clear();
            currentSweep = sweep;
        }
        ExecutorSweep existing = BY_TARGET.get(target);
        if (existing != null) {
            return existing;
        }
        QuantbotStorageClient client = connect(job, target);
        try {
            SweepSpec spec = load(job);
            Artifact alerts = client.artifacts().getArtifact(job.alertsArtifactId()).orElseThrow(() -> new IllegalStateException(
                    "the daemon at " + target + " has no alerts artifact " + job.alertsArtifactId()
                            + " (do all --executor-targets serve the same data?)"));
            SweepCalls calls = new SweepCalls(CallsArtifacts.load(client.artifacts(), alerts));
            ExecutorSweep made = new ExecutorSweep(client, spec, job.metadata(), calls);
            BY_TARGET.put(target, made);
            return made;
        }
        catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The sweep file as {@code run} loaded it, with the same sweep id and parallelism; refused if it hashes differently. */
    static SweepSpec load(ShardJob job) {
        SweepSpec loaded;
        try {
            loaded = new SweepSpecLoader().parse(job.specText(), job.specName());
        }
        catch (InvalidSweepSpecException e) {
            throw new IllegalStateException("the sweep file shipped to the executor did not load: " + e.getMessage(), e);
        }
        // The driver's spec is the file's with the command line's sweep id and parallelism (SweepOptions.apply, which
        // today builds it with the default entry rule): whichever of the two readings hashes like the driver's is it.
        SweepSpec withRule = new SweepSpec(job.sweepId(), loaded.calls(), loaded.intervals(), loaded.entryLagsMillis(),
                loaded.overlaySets(), loaded.takerFeeBps(), loaded.slippageBps(), loaded.notionalUsd(),
                loaded.timeFrameMillis(), job.parallelism(), loaded.chunkRows(), loaded.entryRule());
        SweepSpec asApplied = new SweepSpec(job.sweepId(), loaded.calls(), loaded.intervals(), loaded.entryLagsMillis(),
                loaded.overlaySets(), loaded.takerFeeBps(), loaded.slippageBps(), loaded.notionalUsd(),
                loaded.timeFrameMillis(), job.parallelism(), loaded.chunkRows());
        SweepSpec spec = null;
        for (SweepSpec candidate : java.util.List.of(withRule, asApplied)) {
            if (spec == null && SweepMetadata.specHash(candidate).equals(job.specHash())) {
                spec = candidate;
            }
        }
        if (spec == null) {
            throw new IllegalStateException("the sweep file loads differently on this executor (spec hash "
                    + SweepMetadata.specHash(withRule) + ", the driver's " + job.specHash()
                    + "): are driver and executors running the same sweep-spark jar?");
        }
        return spec;
    }

    private static QuantbotStorageClient connect(ShardJob job, String target) {
        QuantbotStorageClient.Builder builder = QuantbotStorageClient.builder().target(target);
        String envToken = System.getenv("QUANTBOT_TOKEN");
        if (job.tokenFile() != null) {
            builder.bearerTokenFile(Path.of(job.tokenFile()));
        }
        else if (envToken != null && !envToken.isBlank()) {
            builder.bearerToken(envToken.strip());
        }
        if (job.tlsCa() != null) {
            builder.tls(Path.of(job.tlsCa()));
        }
        if (job.tlsAuthority() != null) {
            builder.overrideAuthority(job.tlsAuthority());
        }
        return builder.build();
    }
}
