package io.quantbot.sweep.meta;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quantbot.sweep.spec.SweepSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a sweep's numbers depend on besides its rows: the runner's build, the spec (hash of its canonical text),
 * the daemon that served it and the data (the calls artifact and its content hash, the snapshot it came from).
 * Stored in every run's params_json under {@code metadata} and in StatePort ({@link #NAMESPACE}, key = sweep id).
 */
public record SweepMetadata(
        RunnerBuild runner,
        String specHash,
        String daemonVersion,
        String daemonDuckdbVersion,
        int daemonSchemaVersion,
        String callsSource,
        String callsArtifactId,
        String callsContentHash) {
    public static final String NAMESPACE = "sweep_meta";
    private static final ObjectMapper JSON = new ObjectMapper();

    public SweepMetadata {
        requireNonNull(runner, "runner is null");
        requireNonNull(specHash, "specHash is null");
        requireNonNull(daemonVersion, "daemonVersion is null");
        requireNonNull(daemonDuckdbVersion, "daemonDuckdbVersion is null");
        requireNonNull(callsSource, "callsSource is null");
        requireNonNull(callsArtifactId, "callsArtifactId is null");
        requireNonNull(callsContentHash, "callsContentHash is null");
    }

    /** Hex SHA-256 of {@link SweepSpec#canonicalText()}: everything in the spec that changes results. */
    public static String specHash(SweepSpec spec) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(spec.canonicalText().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public ObjectNode toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("runner_version", runner.version());
        node.put("runner_git_sha", runner.gitSha());
        node.put("runner_git_dirty", runner.gitDirty());
        node.put("spec_hash", specHash);
        node.put("daemon_version", daemonVersion);
        node.put("daemon_duckdb_version", daemonDuckdbVersion);
        node.put("daemon_schema_version", daemonSchemaVersion);
        node.put("calls_source", callsSource);
        node.put("calls_artifact_id", callsArtifactId);
        node.put("calls_content_hash", callsContentHash);
        return node;
    }
}
