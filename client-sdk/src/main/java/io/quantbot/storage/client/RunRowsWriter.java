package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.RowChunk;

/**
 * Streams result rows of one run (AppendRunRows). Chunks are numbered 1, 2, 3, ... (or from the
 * sequence number given at creation, to resume). {@link #write} blocks while gRPC's flow control
 * says the stream is not ready, so a fast producer does not buffer without bound.
 *
 * <p>{@link #finish()} completes the stream and returns the daemon's summary. {@link #close()}
 * cancels a stream that was not finished, so that try-with-resources never leaves one open when the
 * producer throws; chunks the daemon committed before that stay committed, and the daemon ignores
 * them when they are sent again (see {@link ArtifactClient#resumeRunRows}).
 *
 * <pre>{@code
 * try (RunRowsWriter writer = client.artifacts().newRunRowsWriter(runId)) {
 *     for (RowChunk chunk : chunks) {
 *         writer.write(chunk);
 *     }
 *     AppendRunRowsResponse done = writer.finish();
 * }
 * }</pre>
 *
 * <p>One producer thread; not thread-safe.
 */
public final class RunRowsWriter implements AutoCloseable {
    private final String runId;
    private final ClientStreamSender<AppendRunRowsRequest, AppendRunRowsResponse> sender;
    private long nextChunkSeq;
    private boolean finished;

    RunRowsWriter(
            String runId,
            long firstChunkSeq,
            ClientStreamSender<AppendRunRowsRequest, AppendRunRowsResponse> sender) {
        this.runId = requireNonNull(runId, "runId is null");
        this.sender = requireNonNull(sender, "sender is null");
        if (firstChunkSeq < 1) {
            throw new IllegalArgumentException("firstChunkSeq must be at least 1: " + firstChunkSeq);
        }
        this.nextChunkSeq = firstChunkSeq;
    }

    public String runId() {
        return runId;
    }

    /** The sequence number the next written chunk gets. */
    public long nextChunkSeq() {
        return nextChunkSeq;
    }

    /** Chunks handed to gRPC so far by this writer. */
    public long chunksWritten() {
        return sender.messagesSent();
    }

    /**
     * Sends one chunk, waiting while the stream is not ready for more. Returns the chunk's sequence
     * number.
     *
     * @throws StorageException if the daemon already failed the stream (e.g. a rejected chunk)
     */
    public long write(RowChunk rows) {
        requireNonNull(rows, "rows is null");
        if (finished) {
            throw new IllegalStateException("writer for run " + runId + " is already finished");
        }
        long chunkSeq = nextChunkSeq;
        sender.send(AppendRunRowsRequest.newBuilder()
                .setRunId(runId)
                .setChunkSeq(chunkSeq)
                .setRows(rows)
                .build());
        nextChunkSeq++;
        return chunkSeq;
    }

    /** Completes the stream and waits until the daemon committed every chunk; returns its summary. */
    public AppendRunRowsResponse finish() {
        finished = true;
        return sender.complete();
    }

    /** Abandons the stream: the call is cancelled; committed chunks stay committed. */
    public void cancel() {
        finished = true;
        sender.cancel("cancelled by the client", null);
    }

    /** Cancels the stream unless {@link #finish()} was called. */
    @Override
    public void close() {
        if (!finished) {
            cancel();
        }
    }
}
