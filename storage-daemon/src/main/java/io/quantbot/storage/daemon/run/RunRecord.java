package io.quantbot.storage.daemon.run;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A run of the ledger: one scenario of a sweep, its rows so far and, once finished, its summary and sealed artifact. */
public record RunRecord(
        String runId,
        String sweepId,
        String scenarioId,
        RunStatus status,
        String paramsJson,
        List<String> inputIds,
        Map<String, String> tags,
        Optional<String> idempotencyKey,
        long createdAtMs,
        long finishedAtMs,
        Map<String, Double> summary,
        String errorMessage,
        SealMode sealMode,
        Optional<String> resultArtifactId,
        long rowCount,
        long committedChunkSeq) {

    public RunRecord {
        requireNonNull(runId, "runId is null");
        requireNonNull(sweepId, "sweepId is null");
        requireNonNull(scenarioId, "scenarioId is null");
        requireNonNull(status, "status is null");
        requireNonNull(paramsJson, "paramsJson is null");
        inputIds = List.copyOf(inputIds);
        tags = Map.copyOf(tags);
        requireNonNull(idempotencyKey, "idempotencyKey is null");
        summary = Map.copyOf(summary);
        requireNonNull(errorMessage, "errorMessage is null");
        requireNonNull(sealMode, "sealMode is null");
        requireNonNull(resultArtifactId, "resultArtifactId is null");
    }

    public RunRecord withRows(long rows, long chunkSeq) {
        return new RunRecord(runId, sweepId, scenarioId, status, paramsJson, inputIds, tags, idempotencyKey, createdAtMs, finishedAtMs, summary,
                errorMessage, sealMode, resultArtifactId, rows, chunkSeq);
    }

    public RunRecord finished(RunStatus newStatus, long atMs, Map<String, Double> newSummary, String error, SealMode mode) {
        return new RunRecord(runId, sweepId, scenarioId, newStatus, paramsJson, inputIds, tags, idempotencyKey, createdAtMs, atMs, newSummary,
                error, mode, resultArtifactId, rowCount, committedChunkSeq);
    }

    public RunRecord sealed(String artifactId) {
        return new RunRecord(runId, sweepId, scenarioId, status, paramsJson, inputIds, tags, idempotencyKey, createdAtMs, finishedAtMs, summary,
                errorMessage, sealMode, Optional.of(artifactId), rowCount, committedChunkSeq);
    }

    /** Finished with rows that still wait in the hot table for a seal (not deferred). */
    public boolean awaitsSeal() {
        return status.isTerminal() && resultArtifactId.isEmpty() && sealMode != SealMode.DEFER;
    }
}
