package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.UploadFile;
import io.quantbot.storage.v1.UploadSnapshotHeader;
import io.quantbot.storage.v1.UploadSnapshotRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Streams a snapshot folder to UploadSnapshot: lists its files (hidden files and folders are left out,
 * as ImportSnapshot leaves them out; a FIFO, socket or device is refused before anything is sent),
 * hashes each one, then sends the header, and each file's path, size and SHA-256 followed by its bytes
 * in 1 MiB pieces. A file that changes between hashing and sending fails the upload on the daemon.
 */
final class SnapshotUploader {
    static final int PIECE_BYTES = 1 << 20;

    /** A file of the folder as it will be sent. */
    record Entry(Path file, String path, long size, byte[] sha256) {}

    private SnapshotUploader() {}

    static ImportSnapshotResponse upload(UnaryCaller caller, Path folder, String snapshotName, Map<String, String> tags, boolean dryRun,
            UploadProgress progress) {
        requireNonNull(folder, "folder is null");
        requireNonNull(snapshotName, "snapshotName is null");
        requireNonNull(tags, "tags is null");
        requireNonNull(progress, "progress is null");
        List<Entry> entries = list(folder);
        long totalBytes = entries.stream().mapToLong(Entry::size).sum();
        ClientStreamSender<UploadSnapshotRequest, ImportSnapshotResponse> sender = ClientStreamSender.start(
                caller.channel(),
                ArtifactPortGrpc.getUploadSnapshotMethod(),
                caller.deadlineFor(ArtifactPortGrpc.getUploadSnapshotMethod()));
        boolean completed = false;
        try {
            sender.send(UploadSnapshotRequest.newBuilder().setHeader(UploadSnapshotHeader.newBuilder()
                    .setSnapshotName(snapshotName)
                    .putAllTags(tags)
                    .setDryRun(dryRun)
                    .setFileCount(entries.size())
                    .setTotalBytes(totalBytes)).build());
            long filesSent = 0;
            long bytesSent = 0;
            progress.onProgress(0, entries.size(), 0, totalBytes);
            for (Entry entry : entries) {
                sender.send(UploadSnapshotRequest.newBuilder().setFile(UploadFile.newBuilder()
                        .setPath(entry.path())
                        .setSize(entry.size())
                        .setSha256(ByteString.copyFrom(entry.sha256()))).build());
                try (InputStream in = Files.newInputStream(entry.file())) {
                    while (true) {
                        byte[] piece = in.readNBytes(PIECE_BYTES);
                        if (piece.length == 0) {
                            break;
                        }
                        sender.send(UploadSnapshotRequest.newBuilder().setData(ByteString.copyFrom(piece)).build());
                        bytesSent += piece.length;
                        progress.onProgress(filesSent, entries.size(), bytesSent, totalBytes);
                    }
                }
                catch (IOException e) {
                    throw new UncheckedIOException("reading " + entry.file() + " failed", e);
                }
                filesSent++;
                progress.onProgress(filesSent, entries.size(), bytesSent, totalBytes);
            }
            ImportSnapshotResponse response = sender.complete();
            completed = true;
            return response;
        }
        finally {
            if (!completed) {
                sender.cancel("the upload failed on the client", null);
            }
        }
    }

    /** The folder's files in a stable order (by path), with sizes and SHA-256. */
    static List<Entry> list(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + " is not a folder");
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(folder, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            walk.filter(path -> !path.equals(folder))
                    .filter(path -> !hidden(folder, path))
                    .sorted()
                    .forEach(path -> {
                        if (Files.isDirectory(path)) {
                            return;
                        }
                        if (!Files.isRegularFile(path)) {
                            String kind = Files.isSymbolicLink(path) ? "a broken symbolic link" : "not a regular file (a FIFO, socket or device)";
                            throw new IllegalArgumentException(path + " is " + kind + "; a snapshot holds regular files only");
                        }
                        files.add(path);
                    });
        }
        catch (IOException e) {
            throw new UncheckedIOException("listing " + folder + " failed", e);
        }
        catch (UncheckedIOException e) {
            throw new UncheckedIOException("listing " + folder + " failed: " + e.getCause().getMessage(), e.getCause());
        }
        List<Entry> entries = new ArrayList<>();
        for (Path file : files) {
            String path = folder.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
            MessageDigest digest = sha256();
            long size;
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                size = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            catch (IOException e) {
                throw new UncheckedIOException("reading " + file + " failed", e);
            }
            entries.add(new Entry(file, path, size, digest.digest()));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(folder + " holds no files (hidden files and folders are left out)");
        }
        return entries;
    }

    private static boolean hidden(Path folder, Path path) {
        for (Path segment : folder.relativize(path)) {
            if (segment.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
