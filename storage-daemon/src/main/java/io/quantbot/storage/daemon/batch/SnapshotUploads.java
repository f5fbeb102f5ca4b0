package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.UploadsConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.input.InputText;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * UploadSnapshot: a snapshot folder a client streams from its own machine. Each upload is staged in a
 * private folder {@code <data>/staging/uploads/<random>/}; every file's path is checked (relative, no
 * '..', no hidden segment, {@link InputText#entryPath}), its size and SHA-256 compared with what the
 * client declared, and the whole upload kept within {@code uploads.max-bytes} and
 * {@code uploads.max-files}. Only then is the folder imported exactly as ImportSnapshot imports a folder
 * in an import root. The folder is removed when the upload ends, whatever the outcome; leftovers of a
 * crash are removed when the storage starts.
 */
@Singleton
public final class SnapshotUploads {
    /** Deepest a file may sit inside an uploaded snapshot folder. */
    public static final int MAX_DEPTH = 8;
    /** The snapshot names ImportSnapshot accepts (its worker checks the same rule). */
    private static final java.util.regex.Pattern SNAPSHOT_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private final BatchOperations operations;
    private final UploadsConfig config;
    private final Path uploadsDir;
    private final Semaphore slots;
    private final Counter imported;
    private final Counter failed;
    private final Counter bytesReceived;

    @Inject
    public SnapshotUploads(BatchOperations operations, UploadsConfig config, DatabaseConfig database, MeterRegistry registry) {
        this.operations = requireNonNull(operations, "operations is null");
        this.config = requireNonNull(config, "config is null");
        this.uploadsDir = uploadsDir(requireNonNull(database, "database is null").stagingDir());
        this.slots = new Semaphore(config.maxConcurrent());
        this.imported = Counter.builder("quantbot.snapshot_uploads").tag("outcome", "imported")
                .description("UploadSnapshot calls by outcome: imported (or validated, on a dry run) or failed (bad input, limits, a broken stream)")
                .register(registry);
        this.failed = Counter.builder("quantbot.snapshot_uploads").tag("outcome", "failed")
                .description("UploadSnapshot calls by outcome: imported (or validated, on a dry run) or failed (bad input, limits, a broken stream)")
                .register(registry);
        this.bytesReceived = Counter.builder("quantbot.snapshot_upload_bytes").baseUnit("bytes")
                .description("File bytes received by UploadSnapshot streams and written to staging")
                .register(registry);
    }

    /** Where uploads are staged: {@code <staging>/uploads}. */
    public static Path uploadsDir(Path stagingDir) {
        return stagingDir.resolve("uploads");
    }

    /**
     * Starts an upload: checks the header and the declared totals, takes one of the
     * {@code uploads.max-concurrent} slots (QUEUE_FULL when none is free) and creates the private folder.
     */
    public Upload begin(String snapshotName, Map<String, String> tags, boolean dryRun, long fileCount, long totalBytes) {
        try {
            checkHeader(snapshotName, tags, fileCount, totalBytes);
        } catch (StorageException e) {
            failed.increment();
            throw e;
        }
        if (!slots.tryAcquire()) {
            failed.increment();
            throw StorageException.builder(ErrorCode.QUEUE_FULL, config.maxConcurrent() + " uploads are already being staged"
                    + " (uploads.max-concurrent); retry shortly").build();
        }
        try {
            Files.createDirectories(uploadsDir);
            Path folder = uploadsDir.resolve(UUID.randomUUID().toString());
            Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return new Upload(folder, snapshotName, Map.copyOf(tags), dryRun, fileCount, totalBytes);
        } catch (IOException e) {
            slots.release();
            failed.increment();
            throw storageFailure("creating the upload folder in " + uploadsDir + " failed", e);
        }
    }

    /**
     * Everything the header says is checked before a byte is staged: a name the import would refuse after a
     * 16 GiB upload is refused now (the import's rule: 1-100 letters, digits, '.', '_' or '-', starting with a
     * letter or digit), as are the tags, negative totals and totals over the limits.
     */
    private void checkHeader(String snapshotName, Map<String, String> tags, long fileCount, long totalBytes) {
        InputText.name("header.snapshot_name", snapshotName, 100);
        if (!SNAPSHOT_NAME.matcher(snapshotName).matches()) {
            throw invalid("header.snapshot_name", "snapshot_name '" + snapshotName + "' must be 1-100 letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit");
        }
        InputText.tags("header.tags", tags);
        if (fileCount < 0 || totalBytes < 0) {
            throw invalid("header", "file_count and total_bytes must not be negative");
        }
        checkLimits(fileCount, totalBytes);
    }

    private void checkLimits(long files, long bytes) {
        if (files > config.maxFiles()) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "the upload has " + files + " files; the limit is "
                    + config.maxFiles() + " (uploads.max-files)").build();
        }
        if (bytes > config.maxBytes()) {
            throw StorageException.builder(ErrorCode.REQUEST_TOO_LARGE, "the upload has " + bytes + " bytes; the limit is "
                    + config.maxBytes() + " (uploads.max-bytes)").build();
        }
    }

    /** One upload in progress. Not thread-safe: the stream calls it in order. */
    public final class Upload {
        private final Path folder;
        private final String snapshotName;
        private final Map<String, String> tags;
        private final boolean dryRun;
        private final long declaredFiles;
        private final long declaredBytes;
        private final Set<String> names = new HashSet<>();
        private long files;
        private long bytes;
        private String current;
        private OutputStream out;
        private MessageDigest digest;
        private long expectedSize;
        private byte[] expectedHash;
        private long written;
        private boolean closed;

        private Upload(Path folder, String snapshotName, Map<String, String> tags, boolean dryRun, long declaredFiles, long declaredBytes) {
            this.folder = folder;
            this.snapshotName = snapshotName;
            this.tags = tags;
            this.dryRun = dryRun;
            this.declaredFiles = declaredFiles;
            this.declaredBytes = declaredBytes;
        }

        /** Ends the file before (checking it) and opens the next one. */
        public void startFile(String path, long size, byte[] sha256) {
            checkOpen();
            endFile();
            List<String> segments = InputText.entryPath("file.path", path, MAX_DEPTH);
            if (size < 0) {
                throw invalid("file.size", "file '" + InputText.shown(path) + "': size must not be negative");
            }
            if (sha256.length != 32) {
                throw invalid("file.sha256", "file '" + InputText.shown(path) + "': sha256 must be the 32-byte digest, got " + sha256.length + " bytes");
            }
            String key = String.join("/", segments);
            if (!names.add(key)) {
                throw invalid("file.path", "file '" + InputText.shown(path) + "' is sent twice");
            }
            files++;
            if (files > declaredFiles) {
                throw invalid("file", "more files than the header's file_count (" + declaredFiles + ")");
            }
            if (bytes + size > declaredBytes) {
                throw invalid("file.size", "file '" + InputText.shown(path) + "' takes the upload past the header's total_bytes (" + declaredBytes + ")");
            }
            Path target = folder;
            for (String segment : segments) {
                target = target.resolve(segment);
            }
            try {
                Files.createDirectories(target.getParent());
                // The folder is ours and fresh: no symlink can be inside it, and CREATE_NEW refuses one anyway.
                out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (FileAlreadyExistsException e) {
                throw invalid("file.path", "file '" + InputText.shown(path) + "' clashes with a file or folder sent before");
            } catch (IOException e) {
                throw storageFailure("staging upload file " + key + " failed", e);
            }
            current = key;
            expectedSize = size;
            expectedHash = sha256.clone();
            written = 0;
            digest = sha256();
        }

        /** The next bytes of the current file. */
        public void write(byte[] data) {
            checkOpen();
            if (current == null) {
                throw invalid("data", "data must follow a file message");
            }
            if (written + data.length > expectedSize) {
                throw invalid("data", "file '" + current + "' has more bytes than its declared size " + expectedSize);
            }
            try {
                out.write(data);
            } catch (IOException e) {
                throw storageFailure("staging upload file " + current + " failed", e);
            }
            digest.update(data);
            written += data.length;
            bytes += data.length;
            bytesReceived.increment(data.length);
        }

        /** Checks the last file and the totals, then imports the folder. The folder is removed when the import ends. */
        public CompletableFuture<BatchOperations.ImportOutcome> finish(BatchCallOptions options) {
            checkOpen();
            endFile();
            if (files != declaredFiles) {
                throw invalid("header.file_count", "the header announced " + declaredFiles + " files, the stream carried " + files);
            }
            if (bytes != declaredBytes) {
                throw invalid("header.total_bytes", "the header announced " + declaredBytes + " bytes, the stream carried " + bytes);
            }
            if (files == 0) {
                throw invalid("header.file_count", "the upload carried no file");
            }
            closed = true;
            CompletableFuture<BatchOperations.ImportOutcome> outcome;
            try {
                outcome = operations.importUploaded(folder, snapshotName, tags, dryRun, options);
            } catch (RuntimeException e) {
                release(false);
                throw e;
            }
            return outcome.whenComplete((result, failure) -> release(failure == null));
        }

        /** Ends the upload without importing (a bad message, a broken or cancelled stream). Safe to call twice. */
        public void abort() {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly();
            release(false);
        }

        /** The folder the upload is staged in (for tests and logs). */
        public Path folder() {
            return folder;
        }

        private void endFile() {
            if (current == null) {
                return;
            }
            try {
                out.close();
            } catch (IOException e) {
                throw storageFailure("staging upload file " + current + " failed", e);
            } finally {
                out = null;
            }
            if (written != expectedSize) {
                throw StorageException.builder(ErrorCode.INVALID_INPUT_DATA, "file '" + current + "' has " + written
                        + " bytes, not its declared size " + expectedSize + "; the upload was cut short or the size is wrong")
                        .violation("file.size", current + ": " + written + " bytes received, " + expectedSize + " declared").build();
            }
            byte[] actual = digest.digest();
            if (!MessageDigest.isEqual(actual, expectedHash)) {
                throw StorageException.builder(ErrorCode.INVALID_INPUT_DATA, "file '" + current + "' does not match its declared SHA-256"
                        + " (received " + HexFormat.of().formatHex(actual) + "); the bytes changed in transit or while being read")
                        .violation("file.sha256", current + ": content does not match the declared SHA-256").build();
            }
            current = null;
        }

        private void checkOpen() {
            if (closed) {
                throw invalid("upload", "the upload has already ended");
            }
        }

        private void closeQuietly() {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the folder is removed next
                }
                out = null;
            }
        }

        private void release(boolean succeeded) {
            try {
                deleteTree(folder);
            } finally {
                slots.release();
                (succeeded ? imported : failed).increment();
            }
        }
    }

    /** Removes a staged upload folder and everything in it (never following a link out of it). */
    static void deleteTree(Path folder) {
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // Leftovers are removed at the next start (and by the orphan sweeper); the outcome stands.
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static StorageException storageFailure(String message, IOException e) {
        String reason = String.valueOf(e.getMessage());
        ErrorCode code = reason.contains("No space left") || reason.contains("Disk quota") ? ErrorCode.DISK_FULL : ErrorCode.INTERNAL;
        return StorageException.builder(code, message + ": " + reason).cause(e).build();
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }
}
