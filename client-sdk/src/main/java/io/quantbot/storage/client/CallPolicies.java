package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.MethodDescriptor;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.StatePortGrpc;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which RPCs may be retried automatically and which get the long (coarse) deadline. The lists name
 * every RPC of the v1 ports; a method missing from both is a mutating hot-path call (short
 * deadline, never retried), which is the safe default for an RPC added later.
 */
final class CallPolicies {
    /** Reads: repeating one has no effect, so a failed attempt may be sent again. */
    static final Set<String> IDEMPOTENT_METHODS = names(
            StatePortGrpc.getGetMethod(),
            StatePortGrpc.getBatchGetMethod(),
            StatePortGrpc.getListMethod(),
            ArtifactPortGrpc.getGetArtifactMethod(),
            ArtifactPortGrpc.getBatchGetArtifactsMethod(),
            ArtifactPortGrpc.getListArtifactsMethod(),
            ArtifactPortGrpc.getFindByLogicalKeyMethod(),
            ArtifactPortGrpc.getGetLineageMethod(),
            ArtifactPortGrpc.getGetRunMethod(),
            ArtifactPortGrpc.getListRunsMethod(),
            ArtifactPortGrpc.getGetCandlesMethod(),
            ArtifactPortGrpc.getBatchGetCandlesMethod(),
            ArtifactPortGrpc.getQueryMethod(),
            ArtifactPortGrpc.getGetServerInfoMethod());

    /**
     * Calls served by the Python worker pool, streams, and sealing: they may take minutes, so they get
     * the coarse deadline instead of the default one.
     */
    static final Set<String> COARSE_METHODS = names(
            ArtifactPortGrpc.getAppendRunRowsMethod(),
            ArtifactPortGrpc.getFinishRunMethod(),
            ArtifactPortGrpc.getBatchFinishRunsMethod(),
            ArtifactPortGrpc.getImportSnapshotMethod(),
            ArtifactPortGrpc.getUploadSnapshotMethod(),
            ArtifactPortGrpc.getPublishArtifactMethod(),
            ArtifactPortGrpc.getQueryMethod(),
            ArtifactPortGrpc.getAnalyzeSweepMethod(),
            ArtifactPortGrpc.getGenerateFeaturesMethod(),
            ArtifactPortGrpc.getGenerateReportMethod(),
            ArtifactPortGrpc.getReadArtifactFileMethod());

    private final Duration defaultDeadline;
    private final Duration coarseDeadline;

    CallPolicies(Duration defaultDeadline, Duration coarseDeadline) {
        this.defaultDeadline = requireNonNull(defaultDeadline, "defaultDeadline is null");
        this.coarseDeadline = requireNonNull(coarseDeadline, "coarseDeadline is null");
    }

    Duration deadlineFor(MethodDescriptor<?, ?> method) {
        return COARSE_METHODS.contains(method.getFullMethodName()) ? coarseDeadline : defaultDeadline;
    }

    boolean isIdempotent(MethodDescriptor<?, ?> method) {
        return IDEMPOTENT_METHODS.contains(method.getFullMethodName());
    }

    Duration defaultDeadline() {
        return defaultDeadline;
    }

    Duration coarseDeadline() {
        return coarseDeadline;
    }

    private static Set<String> names(MethodDescriptor<?, ?>... methods) {
        return Stream.of(methods).map(MethodDescriptor::getFullMethodName).collect(Collectors.toUnmodifiableSet());
    }
}
