package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a lake file is still what the catalog registered before the daemon serves it or hands
 * it to a worker. The full SHA-256 is computed the first time a file is served in this process and
 * again whenever its fingerprint changes: size, modification time, inode and change time (ctime, which
 * any write or chmod moves and no unprivileged process can set back). Every other serve costs one
 * {@code stat}. A file whose bytes differ from the catalog's file hash, or that is missing, is never
 * served: the call fails with DATA_LOSS (reason FILE_CORRUPTED), the daemon log says which file,
 * and {@code quantbot_lake_integrity_failures_total} counts it. Limits: a change made between the check
 * and the read (a window of milliseconds) is not caught until the next serve; {@link #verify} re-hashes
 * everything regardless of fingerprints.
 */
public final class LakeIntegrity {
    private static final Logger log = LoggerFactory.getLogger(LakeIntegrity.class);

    /** What the file looked like when its hash last matched. */
    private record Fingerprint(long size, Object modified, Object changed, Object fileKey) {}


    private final Path dataDir;
    private final Map<Path, Fingerprint> verified = new ConcurrentHashMap<>();
    private final Counter failures;
    private final Counter rehashes;

    public LakeIntegrity(Path dataDir, MeterRegistry registry) {
        this.dataDir = requireNonNull(dataDir, "dataDir is null");
        this.failures = Counter.builder("quantbot.lake.integrity.failures")
                .description("Lake files refused because they no longer match their catalog hash or are missing")
                .register(registry);
        this.rehashes = Counter.builder("quantbot.lake.integrity.rehashes")
                .description("Full SHA-256 checks of lake files before serving (first serve in this process, or a changed fingerprint)")
                .register(registry);
    }

    /** The absolute path of the record's file, after checking it still holds the registered bytes. */
    public Path verified(ArtifactRecord record) {
        Path file = dataDir.resolve(record.path());
        Fingerprint now = fingerprint(file, record);
        if (now.equals(verified.get(file))) {
            return file;
        }
        if (now.size() != record.sizeBytes()) {
            throw changed(record, file, "its size is " + now.size() + " bytes, the catalog registered " + record.sizeBytes());
        }
        rehashes.increment();
        String actual = LakeFiles.sha256(file);
        if (!actual.equals(record.fileHash())) {
            verified.remove(file);
            throw changed(record, file, "its SHA-256 is " + actual + ", the catalog registered " + record.fileHash());
        }
        // Taken again after hashing: a write during the hash leaves a fingerprint that will not match next time.
        Fingerprint after = fingerprint(file, record);
        if (after.equals(now)) {
            verified.put(file, now);
        }
        return file;
    }

    /** What verify needs of a catalog entry. */
    public record Entry(String artifactId, String path, String fileHash, long sizeBytes) {
        public static Entry of(ArtifactRecord record) {
            return new Entry(record.id(), record.path(), record.fileHash(), record.sizeBytes());
        }
    }

    /** Re-hashes every entry's file (ignoring fingerprints) and reports mismatches and missing files. */
    public StorageMaintenance.IntegrityReport verify(List<Entry> records) {
        long start = System.nanoTime();
        List<StorageMaintenance.IntegrityProblem> mismatched = new ArrayList<>();
        List<StorageMaintenance.IntegrityProblem> missing = new ArrayList<>();
        long bytes = 0;
        long checked = 0;
        for (Entry record : records) {
            checked++;
            Path file = dataDir.resolve(record.path());
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                missing.add(new StorageMaintenance.IntegrityProblem(record.artifactId(), record.path(), Files.exists(file, LinkOption.NOFOLLOW_LINKS)
                        ? "not a regular file" : "missing"));
                verified.remove(file);
                continue;
            }
            try {
                bytes += Files.size(file);
                String actual = LakeFiles.sha256(file);
                if (!actual.equals(record.fileHash())) {
                    mismatched.add(new StorageMaintenance.IntegrityProblem(record.artifactId(), record.path(), "SHA-256 " + actual + " (size " + Files.size(file)
                            + "), the catalog registered " + record.fileHash() + " (size " + record.sizeBytes() + ")"));
                    verified.remove(file);
                }
            } catch (IOException | UncheckedIOException e) {
                missing.add(new StorageMaintenance.IntegrityProblem(record.artifactId(), record.path(), "cannot be read: " + e.getMessage()));
            }
        }
        StorageMaintenance.IntegrityReport report = new StorageMaintenance.IntegrityReport(checked, bytes, (System.nanoTime() - start) / 1_000_000,
                mismatched, missing);
        if (report.clean()) {
            log.info("Lake verified: {} artifact files, {} bytes hashed in {} ms, all match the catalog", checked, bytes, report.millis());
        } else {
            failures.increment(mismatched.size() + missing.size());
            log.error("Lake verify: {} of {} artifact files do not match the catalog: {} changed {}, {} missing {}", mismatched.size() + missing.size(),
                    checked, mismatched.size(), mismatched, missing.size(), missing);
        }
        return report;
    }

    private Fingerprint fingerprint(Path file, ArtifactRecord record) {
        try {
            Map<String, Object> unix;
            try {
                unix = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino,dev", LinkOption.NOFOLLOW_LINKS);
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                var basic = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return new Fingerprint(basic.size(), basic.lastModifiedTime(), basic.lastModifiedTime(), basic.fileKey());
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw changed(record, file, "it is no longer a regular file");
            }
            return new Fingerprint((Long) unix.get("size"), unix.get("lastModifiedTime"), unix.get("ctime"),
                    Objects.toString(unix.get("dev")) + ":" + unix.get("ino"));
        } catch (NoSuchFileException e) {
            throw changed(record, file, "it is missing");
        } catch (IOException e) {
            throw changed(record, file, "it cannot be read: " + e.getMessage());
        }
    }

    private StorageException changed(ArtifactRecord record, Path file, String what) {
        failures.increment();
        log.error("Refusing to serve artifact {}: the lake file {} no longer matches the catalog: {}. Run 'lake verify' (or POST /admin/verify)"
                + " and restore the file from a backup.", record.id(), file, what);
        return StorageException.builder(ErrorCode.FILE_CORRUPTED, "artifact " + record.id() + " cannot be served: its lake file no longer matches"
                        + " the catalog (" + what + "); the operator has to restore it (see the daemon log)")
                .metadata("artifact_id", record.id())
                .build();
    }
}
