package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactResult;
import io.quantbot.storage.v1.BatchCreateRunsRequest;
import io.quantbot.storage.v1.BatchFinishRunsRequest;
import io.quantbot.storage.v1.BatchGetArtifactsRequest;
import io.quantbot.storage.v1.BatchGetCandlesRequest;
import io.quantbot.storage.v1.Candles;
import io.quantbot.storage.v1.CandlesResult;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResponse;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FindByLogicalKeyRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.FinishRunResult;
import io.quantbot.storage.v1.GenerateFeaturesRequest;
import io.quantbot.storage.v1.GenerateFeaturesResponse;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.GenerateReportResponse;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetCandlesRequest;
import io.quantbot.storage.v1.GetLineageRequest;
import io.quantbot.storage.v1.GetLineageResponse;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.LineageDirection;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.ListArtifactsResponse;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.ListRunsResponse;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.PublishHeader;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import io.quantbot.storage.v1.ReadArtifactFileRequest;
import io.quantbot.storage.v1.ReadArtifactFileResponse;
import io.quantbot.storage.v1.RowChunk;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.ServerInfo;
import io.quantbot.storage.v1.SupersedeRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Typed access to ArtifactPort: one method per RPC, lazily paging listings, and a flow-controlled
 * {@link RunRowsWriter} for AppendRunRows. Requests and results are the generated proto messages;
 * lookups by id return {@link Optional} (NOT_FOUND = empty), everything else throws a
 * {@link StorageException} subclass on failure.
 *
 * <p>Reads (catalog lookups and listings, GetRun, ListRuns, candles, Query, GetServerInfo) are
 * retried on transient failures; nothing that writes is. Coarse calls (those served by the worker
 * pool, FinishRun and the streams) get the coarse deadline, everything else the default one.
 * Thread-safe; a {@link RunRowsWriter} is not.
 */
public final class ArtifactClient {
    /** Size of the pieces an Arrow IPC stream is cut into for PublishArtifact. */
    private static final int ARROW_PIECE_BYTES = 1 << 20;

    private final UnaryCaller caller;

    ArtifactClient(UnaryCaller caller) {
        this.caller = requireNonNull(caller, "caller is null");
    }

    /** A view of this client whose calls (and streams) get {@code deadline} instead of the defaults. */
    public ArtifactClient withDeadline(Duration deadline) {
        return new ArtifactClient(caller.withDeadline(deadline));
    }

    // ------------------------------------------------------------------ catalog

    /** The artifact, or empty if no artifact has this id. */
    public Optional<Artifact> getArtifact(String artifactId) {
        GetArtifactRequest request = GetArtifactRequest.newBuilder()
                .setArtifactId(requireNonNull(artifactId, "artifactId is null"))
                .build();
        try {
            return Optional.of(caller.call(ArtifactPortGrpc.getGetArtifactMethod(), request));
        }
        catch (NotFoundException notFound) {
            return Optional.empty();
        }
    }

    /** One result per id, in request order; unknown ids have {@code found = false}. */
    public List<ArtifactResult> batchGetArtifacts(List<String> artifactIds) {
        BatchGetArtifactsRequest request = BatchGetArtifactsRequest.newBuilder()
                .addAllArtifactIds(requireNonNull(artifactIds, "artifactIds is null"))
                .build();
        return caller.call(ArtifactPortGrpc.getBatchGetArtifactsMethod(), request).getResultsList();
    }

    /** ACTIVE artifacts of a type (empty = every type), newest first, paged lazily. */
    public Stream<Artifact> listArtifacts(String type) {
        return listArtifacts(ListArtifactsRequest.newBuilder().setType(requireNonNull(type, "type is null")).build());
    }

    /**
     * Artifacts matching the filter (type, statuses, tags, time range, page size), newest first.
     * Pages are fetched as the stream is consumed, starting at the filter's page token.
     */
    public Stream<Artifact> listArtifacts(ListArtifactsRequest filter) {
        requireNonNull(filter, "filter is null");
        String firstToken = filter.getPageToken();
        return PagedIterator.stream(pageToken -> {
            ListArtifactsResponse page = listArtifactsPage(
                    filter.toBuilder().setPageToken(pageToken.isEmpty() ? firstToken : pageToken).build());
            return new PagedIterator.Page<>(page.getArtifactsList(), page.getNextPageToken());
        });
    }

    /** One page of ListArtifacts. */
    public ListArtifactsResponse listArtifactsPage(ListArtifactsRequest request) {
        return caller.call(ArtifactPortGrpc.getListArtifactsMethod(), requireNonNull(request, "request is null"));
    }

    /** The ACTIVE artifacts with this type and logical key, newest first. */
    public List<Artifact> findByLogicalKey(String type, String logicalKey) {
        return findByLogicalKey(FindByLogicalKeyRequest.newBuilder()
                .setType(requireNonNull(type, "type is null"))
                .setLogicalKey(requireNonNull(logicalKey, "logicalKey is null"))
                .build());
    }

    public List<Artifact> findByLogicalKey(FindByLogicalKeyRequest request) {
        return caller.call(ArtifactPortGrpc.getFindByLogicalKeyMethod(), requireNonNull(request, "request is null"))
                .getArtifactsList();
    }

    public GetLineageResponse getLineage(String artifactId, LineageDirection direction) {
        return getLineage(GetLineageRequest.newBuilder()
                .setArtifactId(requireNonNull(artifactId, "artifactId is null"))
                .setDirection(requireNonNull(direction, "direction is null"))
                .build());
    }

    public GetLineageResponse getLineage(GetLineageRequest request) {
        return caller.call(ArtifactPortGrpc.getGetLineageMethod(), requireNonNull(request, "request is null"));
    }

    /** Retires an artifact in favour of {@code replacementId} (empty = tombstone it); returns the retired artifact. */
    public Artifact supersede(String artifactId, String replacementId, String reason) {
        return supersede(SupersedeRequest.newBuilder()
                .setArtifactId(requireNonNull(artifactId, "artifactId is null"))
                .setReplacementId(requireNonNull(replacementId, "replacementId is null"))
                .setReason(requireNonNull(reason, "reason is null"))
                .build());
    }

    public Artifact supersede(SupersedeRequest request) {
        return caller.call(ArtifactPortGrpc.getSupersedeMethod(), requireNonNull(request, "request is null"));
    }

    // ------------------------------------------------------------------ runs

    /** Creates a run; with an idempotency key, creating it again returns the existing one. */
    public CreateRunResponse createRun(CreateRunRequest request) {
        return caller.call(ArtifactPortGrpc.getCreateRunMethod(), requireNonNull(request, "request is null"));
    }

    /** Opens an AppendRunRows stream whose chunks are numbered from 1. */
    public RunRowsWriter newRunRowsWriter(String runId) {
        return newRunRowsWriter(runId, 1);
    }

    /** Opens an AppendRunRows stream whose first chunk gets {@code firstChunkSeq}. */
    public RunRowsWriter newRunRowsWriter(String runId, long firstChunkSeq) {
        requireNonNull(runId, "runId is null");
        ClientStreamSender<AppendRunRowsRequest, AppendRunRowsResponse> sender = ClientStreamSender.start(
                caller.channel(),
                ArtifactPortGrpc.getAppendRunRowsMethod(),
                caller.deadlineFor(ArtifactPortGrpc.getAppendRunRowsMethod()));
        return new RunRowsWriter(runId, firstChunkSeq, sender);
    }

    /** Streams all chunks (numbered 1..n) in one call and returns the daemon's summary. */
    public AppendRunRowsResponse appendRunRows(String runId, List<RowChunk> chunks) {
        requireNonNull(chunks, "chunks is null");
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("chunks is empty");
        }
        return writeChunks(runId, 1, chunks);
    }

    /**
     * Resumes an interrupted upload: asks the daemon how far the run got (committed_chunk_seq) and
     * sends only the chunks after it, with their original sequence numbers. {@code chunks} must be
     * the same list as the first attempt (chunk {@code i} of it has sequence number {@code i + 1}).
     * Safe to call any number of times: the daemon ignores chunks at or below committed_chunk_seq.
     *
     * @throws NotFoundException if the run does not exist
     */
    public AppendRunRowsResponse resumeRunRows(String runId, List<RowChunk> chunks) {
        requireNonNull(runId, "runId is null");
        requireNonNull(chunks, "chunks is null");
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("chunks is empty");
        }
        Run run = getRun(runId).orElseThrow(() -> StorageExceptions.create(
                StorageError.of(Status.Code.NOT_FOUND, "run " + runId + " does not exist"), null));
        long committed = run.getCommittedChunkSeq();
        if (committed >= chunks.size()) {
            // Everything is committed. A stream needs at least one message naming the run, so
            // send the last chunk again: at or below committed_chunk_seq it is a no-op, and the
            // answer carries the run's totals.
            return writeChunks(runId, chunks.size(), chunks.subList(chunks.size() - 1, chunks.size()));
        }
        return writeChunks(runId, committed + 1, chunks.subList((int) committed, chunks.size()));
    }

    private AppendRunRowsResponse writeChunks(String runId, long firstChunkSeq, List<RowChunk> chunks) {
        try (RunRowsWriter writer = newRunRowsWriter(runId, firstChunkSeq)) {
            for (RowChunk chunk : chunks) {
                writer.write(chunk);
            }
            return writer.finish();
        }
    }

    /** Finishes a run (status, summary metrics, seal mode); returns it as it is afterwards. */
    public Run finishRun(FinishRunRequest request) {
        return caller.call(ArtifactPortGrpc.getFinishRunMethod(), requireNonNull(request, "request is null"));
    }

    /** Finishes a run with this status and the default seal mode. */
    public Run finishRun(String runId, RunStatus status) {
        return finishRun(FinishRunRequest.newBuilder()
                .setRunId(requireNonNull(runId, "runId is null"))
                .setStatus(requireNonNull(status, "status is null"))
                .build());
    }

    /**
     * Creates many runs in one call (BatchCreateRuns): one result per request, in order, each either the
     * CreateRun answer or the status CreateRun would have failed with (turn it into an exception with
     * {@link StorageExceptions#fromStatusProto}); a refused item does not fail the others. With idempotency
     * keys, sending the same batch again creates nothing new. Not retried automatically (like CreateRun).
     *
     * @throws ResourceExhaustedException (REQUEST_TOO_LARGE) for more items than the daemon's runs.max-batch
     */
    public List<CreateRunResult> batchCreateRuns(List<CreateRunRequest> requests) {
        BatchCreateRunsRequest request = BatchCreateRunsRequest.newBuilder()
                .addAllRequests(requireNonNull(requests, "requests is null"))
                .build();
        return caller.call(ArtifactPortGrpc.getBatchCreateRunsMethod(), request).getResultsList();
    }

    /**
     * Finishes many runs in one call (BatchFinishRuns): one result per request, in order, each either the run
     * as FinishRun returns it (after its seal) or the status FinishRun would have failed with; a refused item
     * does not fail the others. An item with {@code SEAL_MODE_SWEEP} is applied once the items before it are
     * done, so put it last to seal the runs the batch finishes. Gets the coarse deadline (sealing).
     *
     * @throws ResourceExhaustedException (REQUEST_TOO_LARGE) for more items than the daemon's runs.max-batch
     */
    public List<FinishRunResult> batchFinishRuns(List<FinishRunRequest> requests) {
        BatchFinishRunsRequest request = BatchFinishRunsRequest.newBuilder()
                .addAllRequests(requireNonNull(requests, "requests is null"))
                .build();
        return caller.call(ArtifactPortGrpc.getBatchFinishRunsMethod(), request).getResultsList();
    }

    /** The run, or empty if no run has this id. */
    public Optional<Run> getRun(String runId) {
        GetRunRequest request = GetRunRequest.newBuilder().setRunId(requireNonNull(runId, "runId is null")).build();
        try {
            return Optional.of(caller.call(ArtifactPortGrpc.getGetRunMethod(), request));
        }
        catch (NotFoundException notFound) {
            return Optional.empty();
        }
    }

    /** The sweep's runs in creation order, paged lazily. */
    public Stream<Run> listRuns(String sweepId) {
        return listRuns(ListRunsRequest.newBuilder().setSweepId(requireNonNull(sweepId, "sweepId is null")).build());
    }

    /** Runs matching the filter (sweep, status, page size), paged lazily from its page token. */
    public Stream<Run> listRuns(ListRunsRequest filter) {
        requireNonNull(filter, "filter is null");
        String firstToken = filter.getPageToken();
        return PagedIterator.stream(pageToken -> {
            ListRunsResponse page = listRunsPage(
                    filter.toBuilder().setPageToken(pageToken.isEmpty() ? firstToken : pageToken).build());
            return new PagedIterator.Page<>(page.getRunsList(), page.getNextPageToken());
        });
    }

    /** One page of ListRuns. */
    public ListRunsResponse listRunsPage(ListRunsRequest request) {
        return caller.call(ArtifactPortGrpc.getListRunsMethod(), requireNonNull(request, "request is null"));
    }

    // ------------------------------------------------------------------ candles

    /** Candles with open time in {@code [fromMs, toMs)}, resampled if the interval is coarser than stored. */
    public Candles getCandles(String token, String chain, String interval, long fromMs, long toMs) {
        return getCandles(GetCandlesRequest.newBuilder()
                .setToken(requireNonNull(token, "token is null"))
                .setChain(requireNonNull(chain, "chain is null"))
                .setInterval(requireNonNull(interval, "interval is null"))
                .setFromMs(fromMs)
                .setToMs(toMs)
                .build());
    }

    public Candles getCandles(GetCandlesRequest request) {
        return caller.call(ArtifactPortGrpc.getGetCandlesMethod(), requireNonNull(request, "request is null"));
    }

    /**
     * One result per request, in order. A failed item carries its status; turn it into an exception
     * with {@link StorageExceptions#fromStatusProto}.
     */
    public List<CandlesResult> batchGetCandles(List<GetCandlesRequest> requests) {
        BatchGetCandlesRequest request = BatchGetCandlesRequest.newBuilder()
                .addAllRequests(requireNonNull(requests, "requests is null"))
                .build();
        return caller.call(ArtifactPortGrpc.getBatchGetCandlesMethod(), request).getResultsList();
    }

    // ------------------------------------------------------------------ coarse operations

    public ImportSnapshotResponse importSnapshot(ImportSnapshotRequest request) {
        return caller.call(ArtifactPortGrpc.getImportSnapshotMethod(), requireNonNull(request, "request is null"));
    }

    /**
     * Uploads a snapshot folder from this machine (UploadSnapshot): the daemon stages the files, checks
     * each one's size and SHA-256, and imports them as ImportSnapshot imports a folder in an import root.
     * Hidden files and folders are left out; anything that is not a regular file is refused before
     * anything is sent. Not retried: an upload is re-run by calling again (the import deduplicates).
     */
    public ImportSnapshotResponse uploadSnapshot(Path folder, String snapshotName, Map<String, String> tags, boolean dryRun,
            UploadProgress progress) {
        return SnapshotUploader.upload(caller, folder, snapshotName, tags, dryRun, progress);
    }

    /** Publishes the file the header names ({@code source_path}). */
    public PublishArtifactResponse publishArtifact(PublishHeader header) {
        requireNonNull(header, "header is null");
        if (header.getSourcePath().isEmpty()) {
            throw new IllegalArgumentException("header names no source_path; pass the rows too");
        }
        return publish(header, Stream.empty());
    }

    /** Publishes rows streamed after the header (chunks numbered 1, 2, 3, ...). */
    public PublishArtifactResponse publishArtifact(PublishHeader header, Iterable<RowChunk> chunks) {
        requireNonNull(header, "header is null");
        requireNonNull(chunks, "chunks is null");
        Stream<PublishArtifactRequest.Builder> messages = StreamSupport.stream(chunks.spliterator(), false)
                .map(chunk -> PublishArtifactRequest.newBuilder().setRows(chunk));
        return publish(header, messages);
    }

    /** Publishes an Arrow IPC stream read from {@code arrowIpc} (not closed here), in 1 MiB pieces. */
    public PublishArtifactResponse publishArrowIpc(PublishHeader header, InputStream arrowIpc) {
        requireNonNull(header, "header is null");
        requireNonNull(arrowIpc, "arrowIpc is null");
        Stream<PublishArtifactRequest.Builder> messages = Stream.generate(() -> readPiece(arrowIpc))
                .takeWhile(piece -> !piece.isEmpty())
                .map(piece -> PublishArtifactRequest.newBuilder().setArrowIpc(piece));
        return publish(header, messages);
    }

    private PublishArtifactResponse publish(PublishHeader header, Stream<PublishArtifactRequest.Builder> dataMessages) {
        ClientStreamSender<PublishArtifactRequest, PublishArtifactResponse> sender = ClientStreamSender.start(
                caller.channel(),
                ArtifactPortGrpc.getPublishArtifactMethod(),
                caller.deadlineFor(ArtifactPortGrpc.getPublishArtifactMethod()));
        boolean completed = false;
        try {
            sender.send(PublishArtifactRequest.newBuilder().setHeader(header).build());
            long chunkSeq = 1;
            for (PublishArtifactRequest.Builder message : (Iterable<PublishArtifactRequest.Builder>) dataMessages::iterator) {
                sender.send(message.setChunkSeq(chunkSeq++).build());
            }
            PublishArtifactResponse response = sender.complete();
            completed = true;
            return response;
        }
        finally {
            if (!completed) {
                sender.cancel("publishing failed on the client", null);
            }
        }
    }

    private static ByteString readPiece(InputStream input) {
        try {
            return ByteString.copyFrom(input.readNBytes(ARROW_PIECE_BYTES));
        }
        catch (IOException failure) {
            throw new UncheckedIOException("reading the Arrow IPC stream failed", failure);
        }
    }

    /** Runs one read-only SELECT over named artifact views (retried: it cannot change anything). */
    public QueryResponse query(QueryRequest request) {
        return caller.call(ArtifactPortGrpc.getQueryMethod(), requireNonNull(request, "request is null"));
    }

    /** Leaderboards of a sweep's results (20 rows each by default). */
    public AnalyzeSweepResponse analyzeSweep(String sweepId) {
        return analyzeSweep(AnalyzeSweepRequest.newBuilder().setSweepId(requireNonNull(sweepId, "sweepId is null")).build());
    }

    public AnalyzeSweepResponse analyzeSweep(AnalyzeSweepRequest request) {
        return caller.call(ArtifactPortGrpc.getAnalyzeSweepMethod(), requireNonNull(request, "request is null"));
    }

    public GenerateFeaturesResponse generateFeatures(GenerateFeaturesRequest request) {
        return caller.call(ArtifactPortGrpc.getGenerateFeaturesMethod(), requireNonNull(request, "request is null"));
    }

    public GenerateReportResponse generateReport(GenerateReportRequest request) {
        return caller.call(ArtifactPortGrpc.getGenerateReportMethod(), requireNonNull(request, "request is null"));
    }

    /**
     * Copies an artifact's file (a report, a parquet file) from the daemon to {@code target} through
     * ReadArtifactFile. The bytes go to a temporary file beside the target, which replaces the target only
     * after the stream ended OK and the bytes' SHA-256 matched the artifact's file_hash; otherwise nothing
     * is left behind and {@link InternalException} (DATA_LOSS) or the call's failure is thrown.
     *
     * @return the artifact, as the daemon described it before its bytes
     */
    public Artifact readArtifactFile(String artifactId, Path target) {
        requireNonNull(artifactId, "artifactId is null");
        Path destination = requireNonNull(target, "target is null").toAbsolutePath();
        MethodDescriptor<ReadArtifactFileRequest, ReadArtifactFileResponse> method = ArtifactPortGrpc.getReadArtifactFileMethod();
        ReadArtifactFileRequest request = ReadArtifactFileRequest.newBuilder().setArtifactId(artifactId).build();
        Path temporary;
        try {
            temporary = Files.createTempFile(destination.getParent(), "." + destination.getFileName() + ".", ".part");
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write beside " + destination, e);
        }
        Context.CancellableContext context = Context.current().withCancellation();
        Context previous = context.attach();
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Artifact artifact = null;
            long bytes = 0;
            try (OutputStream out = Files.newOutputStream(temporary)) {
                Iterator<ReadArtifactFileResponse> parts = ClientCalls.blockingServerStreamingCall(caller.channel(), method,
                        CallOptions.DEFAULT.withDeadline(caller.deadlineFor(method)), request);
                while (parts.hasNext()) {
                    ReadArtifactFileResponse part = parts.next();
                    if (part.hasArtifact()) {
                        artifact = part.getArtifact();
                    }
                    else {
                        ByteString chunk = part.getChunk();
                        chunk.writeTo(out);
                        digest.update(chunk.asReadOnlyByteBuffer());
                        bytes += chunk.size();
                    }
                }
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (artifact == null || !actual.equalsIgnoreCase(artifact.getFileHash()) || bytes != artifact.getSizeBytes()) {
                throw StorageExceptions.from(Status.DATA_LOSS.withDescription("the bytes of artifact " + artifactId + " (" + bytes
                        + " bytes, sha256 " + actual + ") do not match the artifact's file_hash and size").asRuntimeException());
            }
            Files.move(temporary, destination, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return artifact;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write " + destination, e);
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        catch (StorageException e) {
            throw e;
        }
        catch (RuntimeException e) {
            throw StorageExceptions.from(e);
        }
        finally {
            context.detach(previous);
            context.cancel(null);
            try {
                Files.deleteIfExists(temporary);
            }
            catch (IOException ignored) {
                // a leftover .part file names itself
            }
        }
    }

    // ------------------------------------------------------------------ introspection

    /** Versions, pool size and the worker spawn count. */
    public ServerInfo getServerInfo() {
        return caller.call(ArtifactPortGrpc.getGetServerInfoMethod(), GetServerInfoRequest.getDefaultInstance());
    }
}
