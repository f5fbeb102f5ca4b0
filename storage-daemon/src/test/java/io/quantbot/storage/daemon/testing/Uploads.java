package io.quantbot.storage.daemon.testing;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.UploadFile;
import io.quantbot.storage.v1.UploadSnapshotHeader;
import io.quantbot.storage.v1.UploadSnapshotRequest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Raw UploadSnapshot messages, so tests can send exactly what a hostile or broken client would. */
public final class Uploads {
    private Uploads() {}

    /** A file of an upload: its path in the snapshot folder and its bytes. */
    public record Entry(String path, byte[] content) {}

    public static UploadSnapshotRequest header(String name, long files, long bytes) {
        return UploadSnapshotRequest.newBuilder().setHeader(UploadSnapshotHeader.newBuilder()
                .setSnapshotName(name).setFileCount(files).setTotalBytes(bytes)).build();
    }

    public static UploadSnapshotRequest file(String path, long size, byte[] sha256) {
        return UploadSnapshotRequest.newBuilder().setFile(UploadFile.newBuilder().setPath(path).setSize(size)
                .setSha256(ByteString.copyFrom(sha256))).build();
    }

    public static UploadSnapshotRequest data(byte[] bytes) {
        return UploadSnapshotRequest.newBuilder().setData(ByteString.copyFrom(bytes)).build();
    }

    /** The messages a correct client sends for these files (one data message per file). */
    public static List<UploadSnapshotRequest> messages(String name, List<Entry> entries, Map<String, String> tags, boolean dryRun) {
        long bytes = entries.stream().mapToLong(entry -> entry.content().length).sum();
        List<UploadSnapshotRequest> messages = new ArrayList<>();
        messages.add(UploadSnapshotRequest.newBuilder().setHeader(UploadSnapshotHeader.newBuilder().setSnapshotName(name)
                .putAllTags(tags).setDryRun(dryRun).setFileCount(entries.size()).setTotalBytes(bytes)).build());
        for (Entry entry : entries) {
            messages.add(file(entry.path(), entry.content().length, sha256(entry.content())));
            if (entry.content().length > 0) {
                messages.add(data(entry.content()));
            }
        }
        return messages;
    }

    /** Sends the messages, half-closes and returns the answer, or throws the call's StatusRuntimeException. */
    public static ImportSnapshotResponse send(Channel channel, List<UploadSnapshotRequest> messages) {
        CompletableFuture<ImportSnapshotResponse> done = new CompletableFuture<>();
        StreamObserver<UploadSnapshotRequest> stream = open(channel, done);
        for (UploadSnapshotRequest message : messages) {
            stream.onNext(message);
        }
        stream.onCompleted();
        return await(done);
    }

    /** Opens a stream whose answer completes {@code done}. */
    public static StreamObserver<UploadSnapshotRequest> open(Channel channel, CompletableFuture<ImportSnapshotResponse> done) {
        return ArtifactPortGrpc.newStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS).uploadSnapshot(new StreamObserver<>() {
            @Override
            public void onNext(ImportSnapshotResponse value) {
                done.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
    }

    public static ImportSnapshotResponse await(CompletableFuture<ImportSnapshotResponse> done) {
        try {
            return done.get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException status) {
                throw status;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
