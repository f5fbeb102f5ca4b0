package io.quantbot.storage.daemon.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.SnapshotUploads;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.UploadSnapshotHeader;
import io.quantbot.storage.v1.UploadSnapshotRequest;

/**
 * One UploadSnapshot stream: the header, then for each file an UploadFile message and its bytes. Bytes
 * are written to the upload's staging folder as they arrive (gRPC reads the next message only when
 * this one is handled, so a fast client is held back by the disk, not by memory). A bad message, a
 * broken or cancelled stream ends the upload and removes its folder.
 */
final class UploadSnapshotStream implements StreamObserver<UploadSnapshotRequest> {
    /** Largest data message; the SDK sends 1 MiB. */
    static final int MAX_DATA_BYTES = 4 << 20;

    private final ServerCallStreamObserver<ImportSnapshotResponse> call;
    private final SnapshotUploads uploads;
    private final BatchCallOptions options;
    private SnapshotUploads.Upload upload;
    private boolean ended;

    UploadSnapshotStream(ServerCallStreamObserver<ImportSnapshotResponse> call, SnapshotUploads uploads, BatchCallOptions options) {
        this.call = requireNonNull(call, "call is null");
        this.uploads = requireNonNull(uploads, "uploads is null");
        this.options = requireNonNull(options, "options is null");
    }

    @Override
    public synchronized void onNext(UploadSnapshotRequest request) {
        if (ended) {
            return;
        }
        try {
            switch (request.getPayloadCase()) {
                case HEADER -> {
                    if (upload != null) {
                        throw invalid("header", "the header must be sent once, as the first message");
                    }
                    UploadSnapshotHeader header = request.getHeader();
                    upload = uploads.begin(header.getSnapshotName(), header.getTagsMap(), header.getDryRun(), header.getFileCount(),
                            header.getTotalBytes());
                }
                case FILE -> requireUpload().startFile(request.getFile().getPath(), request.getFile().getSize(),
                        request.getFile().getSha256().toByteArray());
                case DATA -> {
                    if (request.getData().size() > MAX_DATA_BYTES) {
                        throw invalid("data", "a data message holds at most " + MAX_DATA_BYTES + " bytes, got " + request.getData().size());
                    }
                    requireUpload().write(request.getData().toByteArray());
                }
                case PAYLOAD_NOT_SET -> throw invalid("payload", "a message must carry the header, a file or data");
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        // The client broke the stream or cancelled it: nothing is imported and nothing stays staged.
        ended = true;
        if (upload != null) {
            upload.abort();
        }
    }

    @Override
    public synchronized void onCompleted() {
        if (ended) {
            return;
        }
        ended = true;
        try {
            Responses.whenDone(requireUpload().finish(options), BatchCalls::toProto, call);
        } catch (RuntimeException e) {
            ended = false;
            fail(e);
        }
    }

    private SnapshotUploads.Upload requireUpload() {
        if (upload == null) {
            throw invalid("header", "the first message must be the header");
        }
        return upload;
    }

    private void fail(RuntimeException failure) {
        ended = true;
        if (upload != null) {
            upload.abort();
        }
        call.onError(StatusMapper.toStatusException(failure));
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }
}
