package io.quantbot.storage.daemon.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.BatchOperations;
import io.quantbot.storage.daemon.batch.StagingWriter;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.input.InputText;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.PublishHeader;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * One PublishArtifact stream: a header, then (unless the header names a source file) row chunks or
 * Arrow IPC pieces. Data is staged once the client half-closes; then the batch engine publishes it.
 */
final class PublishArtifactStream implements StreamObserver<PublishArtifactRequest> {
    private static final long MAX_ROWS = 20_000_000;
    private static final long MAX_ARROW_BYTES = 2L << 30;

    private final ServerCallStreamObserver<PublishArtifactResponse> call;
    private final BatchOperations operations;
    private final StagingWriter staging;
    private final BatchCallOptions options;
    private PublishHeader header;
    private Path sourcePath;
    private final List<RowBatch> rows = new ArrayList<>();
    private final List<byte[]> arrow = new ArrayList<>();
    private long rowCount;
    private long arrowBytes;
    private long lastSeq;
    private boolean failed;

    PublishArtifactStream(ServerCallStreamObserver<PublishArtifactResponse> call, BatchOperations operations, StagingWriter staging,
            BatchCallOptions options) {
        this.call = requireNonNull(call, "call is null");
        this.operations = requireNonNull(operations, "operations is null");
        this.staging = requireNonNull(staging, "staging is null");
        this.options = requireNonNull(options, "options is null");
    }

    @Override
    public synchronized void onNext(PublishArtifactRequest request) {
        if (failed) {
            return;
        }
        try {
            switch (request.getPayloadCase()) {
                case HEADER -> {
                    if (header != null) {
                        throw invalid("header", "the header must be sent once, as the first message");
                    }
                    header = request.getHeader();
                    if (!header.getSourcePath().isEmpty()) {
                        sourcePath = InputText.path("header.source_path", header.getSourcePath(), InputText.PathKind.ABSOLUTE_OR_RELATIVE);
                    }
                }
                case ROWS, ARROW_IPC -> {
                    if (header == null) {
                        throw invalid("header", "the first message must be the header");
                    }
                    if (!header.getSourcePath().isEmpty()) {
                        throw invalid("header.source_path", "the header names a source file, so the stream must not carry data");
                    }
                    if (request.getChunkSeq() != 0 && request.getChunkSeq() <= lastSeq) {
                        return; // a re-sent piece
                    }
                    lastSeq = request.getChunkSeq();
                    if (request.getPayloadCase() == PublishArtifactRequest.PayloadCase.ROWS) {
                        if (!arrow.isEmpty()) {
                            throw invalid("rows", "a stream carries either row chunks or Arrow IPC pieces, not both");
                        }
                        RowBatch batch = ArtifactProtoMapper.toDomain(request.getRows());
                        rowCount += batch.rowCount();
                        if (rowCount > MAX_ROWS) {
                            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "more than " + MAX_ROWS
                                    + " rows in one publish; stream Arrow IPC or publish a file instead").build();
                        }
                        rows.add(batch);
                    } else {
                        if (!rows.isEmpty()) {
                            throw invalid("arrow_ipc", "a stream carries either row chunks or Arrow IPC pieces, not both");
                        }
                        arrowBytes += request.getArrowIpc().size();
                        if (arrowBytes > MAX_ARROW_BYTES) {
                            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "more than 2 GiB of Arrow data in one publish;"
                                    + " publish a file from an import root instead").build();
                        }
                        arrow.add(request.getArrowIpc().toByteArray());
                    }
                }
                case PAYLOAD_NOT_SET -> throw invalid("payload", "a message must carry the header, rows or arrow_ipc");
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        failed = true;
    }

    @Override
    public synchronized void onCompleted() {
        if (failed) {
            return;
        }
        Path staged = null;
        try {
            if (header == null) {
                throw invalid("header", "the stream carried no header");
            }
            Path source;
            String format;
            if (!header.getSourcePath().isEmpty()) {
                source = sourcePath;
                format = "";
            } else if (!rows.isEmpty()) {
                staged = staging.writeRows(rows);
                source = staged;
                format = "parquet";
            } else if (!arrow.isEmpty()) {
                List<java.io.InputStream> pieces = new ArrayList<>();
                arrow.forEach(bytes -> pieces.add(new ByteArrayInputStream(bytes)));
                staged = staging.writeArrow(new SequenceInputStream(Collections.enumeration(pieces)));
                source = staged;
                format = "arrow";
            } else {
                throw invalid("header.source_path", "nothing to publish: name a source_path in the header or stream rows or arrow_ipc");
            }
            rows.clear();
            arrow.clear();
            BatchOperations.PublishRequest request = new BatchOperations.PublishRequest(header.getType(), header.getSchemaVersion(),
                    header.getLogicalKey(), header.getTagsMap(), header.getInputArtifactIdsList(),
                    header.hasProvenance() && !header.getProvenance().getWriter().isEmpty() ? Optional.of(header.getProvenance().getWriter()) : Optional.empty(),
                    header.getSupersedeExisting());
            Path toDiscard = staged;
            operations.publish(request, source, format, options).whenComplete((registration, failure) -> {
                if (toDiscard != null) {
                    staging.discard(toDiscard);
                }
                if (failure != null) {
                    call.onError(StatusMapper.toStatusException(failure));
                    return;
                }
                call.onNext(PublishArtifactResponse.newBuilder()
                        .setArtifact(ArtifactProtoMapper.toProto(registration.artifact()))
                        .setDeduped(registration.deduped())
                        .build());
                call.onCompleted();
            });
        } catch (RuntimeException e) {
            if (staged != null) {
                staging.discard(staged);
            }
            fail(e);
        }
    }

    private void fail(RuntimeException failure) {
        failed = true;
        rows.clear();
        arrow.clear();
        call.onError(StatusMapper.toStatusException(failure));
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }
}
