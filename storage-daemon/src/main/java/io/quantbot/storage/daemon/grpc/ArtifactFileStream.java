package io.quantbot.storage.daemon.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.v1.ReadArtifactFileResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * ReadArtifactFile's server side: the artifact, then the file's bytes in chunks, sent only while the
 * client keeps up (gRPC flow control: onReady), hashed on the way. A file whose SHA-256 differs from the
 * catalog's file_hash ends the stream with FILE_CORRUPTED (DATA_LOSS) instead of OK.
 */
final class ArtifactFileStream {
    static final int DEFAULT_CHUNK_BYTES = 256 * 1024;
    static final int MAX_CHUNK_BYTES = 1024 * 1024;

    private final ServerCallStreamObserver<ReadArtifactFileResponse> observer;
    private final ArtifactRecord record;
    private final FileChannel channel;
    private final MessageDigest digest;
    private final ByteBuffer buffer;
    private boolean finished;

    private ArtifactFileStream(ServerCallStreamObserver<ReadArtifactFileResponse> observer, ArtifactRecord record, FileChannel channel,
            int chunkBytes) {
        this.observer = requireNonNull(observer, "observer is null");
        this.record = requireNonNull(record, "record is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.buffer = ByteBuffer.allocate(chunkBytes);
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    static int chunkBytes(int requested) {
        if (requested < 0 || requested > MAX_CHUNK_BYTES) {
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "chunk_bytes must be 0 (default " + DEFAULT_CHUNK_BYTES + ") to "
                    + MAX_CHUNK_BYTES).violation("chunk_bytes", "0 to " + MAX_CHUNK_BYTES).build();
        }
        return requested == 0 ? DEFAULT_CHUNK_BYTES : requested;
    }

    /** Opens the file and starts sending; failures before the first message are the caller's to report. */
    static void start(ServerCallStreamObserver<ReadArtifactFileResponse> observer, ArtifactRecord record, Path file, int chunkBytes,
            ReadArtifactFileResponse header) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ArtifactFileStream stream = new ArtifactFileStream(observer, record, channel, chunkBytes);
        observer.setOnCancelHandler(stream::close);
        observer.setOnReadyHandler(stream::drain);
        observer.onNext(header);
        stream.drain();
    }

    private synchronized void drain() {
        try {
            while (!finished && observer.isReady()) {
                buffer.clear();
                int read = channel.read(buffer);
                if (read < 0) {
                    finish();
                    return;
                }
                if (read == 0) {
                    continue;
                }
                buffer.flip();
                digest.update(buffer.duplicate());
                observer.onNext(ReadArtifactFileResponse.newBuilder().setChunk(ByteString.copyFrom(buffer)).build());
            }
        }
        catch (IOException e) {
            close();
            Responses.fail(observer, new UncheckedIOException(e));
        }
        catch (RuntimeException e) {
            close();
            Responses.fail(observer, e);
        }
    }

    private void finish() {
        close();
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!record.fileHash().isEmpty() && !actual.equalsIgnoreCase(record.fileHash())) {
            Responses.fail(observer, StorageException.builder(ErrorCode.FILE_CORRUPTED, "the file of artifact " + record.id()
                    + " does not match its recorded hash (recorded " + record.fileHash() + ", read " + actual + ")")
                    .metadata("artifact_id", record.id()).build());
            return;
        }
        observer.onCompleted();
    }

    private synchronized void close() {
        finished = true;
        try {
            channel.close();
        }
        catch (IOException ignored) {
            // reading is over either way
        }
    }
}
