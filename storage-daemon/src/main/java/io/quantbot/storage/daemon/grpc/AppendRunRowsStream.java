package io.quantbot.storage.daemon.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.run.RunService;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import java.util.concurrent.CompletableFuture;

/**
 * One AppendRunRows stream. Each chunk is validated and queued for group commit as it arrives; at
 * most maxInFlight chunks wait for their commit before the stream is read further (flow control).
 * A failed chunk fails the stream: chunks before it still commit, chunks after it are not applied, and the error is
 * sent only once the chunks before it settled, so a client that sees the error and calls GetRun sees them. A cancelled stream
 * stops where it is: chunks committed before the cancel stay (they are acknowledged in
 * Run.committed_chunk_seq), chunks not yet committed are dropped.
 */
final class AppendRunRowsStream implements StreamObserver<AppendRunRowsRequest> {
    private final ServerCallStreamObserver<AppendRunRowsResponse> call;
    private final RunService runs;
    private final int maxInFlight;

    private String runId;
    private long received;
    private long committed;
    private long duplicates;
    private long rowsCommitted;
    private long committedChunkSeq;
    private long runRowCount;
    private int inFlight;
    private boolean halfClosed;
    private volatile boolean done;
    private volatile boolean cancelled;
    /** Index (1-based, in arrival order) of the message that failed the stream; later chunks are not applied. */
    private volatile long failedAt = Long.MAX_VALUE;
    /** The error that failed the stream, held back until the chunks still in flight settled. */
    private Throwable pendingFailure;

    AppendRunRowsStream(ServerCallStreamObserver<AppendRunRowsResponse> call, RunService runs, int maxInFlight) {
        this.call = requireNonNull(call, "call is null");
        this.runs = requireNonNull(runs, "runs is null");
        this.maxInFlight = maxInFlight;
        call.disableAutoRequest();
        call.setOnCancelHandler(() -> cancelled = true);
    }

    void start() {
        call.request(maxInFlight);
    }

    @Override
    public void onNext(AppendRunRowsRequest request) {
        CompletableFuture<RunLedger.ChunkOutcome> outcome;
        long index;
        synchronized (this) {
            if (done) {
                return;
            }
            received++;
            try {
                if (runId == null) {
                    runId = request.getRunId();
                } else if (!runId.equals(request.getRunId())) {
                    throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "a stream carries the chunks of one run: got run " + request.getRunId()
                            + " after " + runId).violation("run_id", "must be the same on every message of the stream").build();
                }
                RowBatch rows = ArtifactProtoMapper.toDomain(request.getRows());
                index = received;
                outcome = runs.appendChunk(runId, request.getChunkSeq(), rows, () -> cancelled || index > failedAt);
                inFlight++;
            } catch (RuntimeException e) {
                failedAt = received;
                fail(e);
                return;
            }
        }
        long chunkIndex = index;
        outcome.whenComplete((chunk, failure) -> chunkDone(chunkIndex, chunk, failure));
    }

    private synchronized void chunkDone(long index, RunLedger.ChunkOutcome chunk, Throwable failure) {
        inFlight--;
        if (failure != null) {
            failedAt = Math.min(failedAt, index);
            fail(failure);
            return;
        }
        if (done) {
            sendPendingFailure();
            return;
        }
        if (chunk.duplicate()) {
            duplicates++;
        } else {
            committed++;
            rowsCommitted += chunk.rowsAdded();
        }
        // Completions may arrive out of order (several completion threads); the run's progress only grows.
        committedChunkSeq = Math.max(committedChunkSeq, chunk.committedChunkSeq());
        runRowCount = Math.max(runRowCount, chunk.runRowCount());
        if (halfClosed) {
            maybeRespond();
        } else {
            call.request(1);
        }
    }

    @Override
    public void onError(Throwable t) {
        cancelled = true;
        synchronized (this) {
            done = true;
        }
    }

    @Override
    public synchronized void onCompleted() {
        halfClosed = true;
        maybeRespond();
    }

    private void maybeRespond() {
        if (done || inFlight > 0) {
            return;
        }
        done = true;
        if (runId == null) {
            call.onError(StatusMapper.toStatusException(StorageException.builder(ErrorCode.INVALID_ARGUMENT,
                    "the stream carried no chunk; send at least one AppendRunRowsRequest").violation("rows", "no chunk").build()));
            return;
        }
        call.onNext(AppendRunRowsResponse.newBuilder()
                .setRunId(runId)
                .setChunksReceived(received)
                .setChunksCommitted(committed)
                .setDuplicateChunks(duplicates)
                .setRowsCommitted(rowsCommitted)
                .setCommittedChunkSeq(committedChunkSeq)
                .setRunRowCount(runRowCount)
                .build());
        call.onCompleted();
    }

    private void fail(Throwable failure) {
        if (done) {
            sendPendingFailure();
            return;
        }
        done = true;
        pendingFailure = failure;
        sendPendingFailure();
    }

    private void sendPendingFailure() {
        if (pendingFailure == null || inFlight > 0) {
            return;
        }
        Throwable failure = pendingFailure;
        pendingFailure = null;
        if (!cancelled) {
            call.onError(StatusMapper.toStatusException(failure));
        }
    }
}
