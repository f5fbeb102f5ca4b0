package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A lake on disk, engine-neutral: {@code lake/<type>/v<version>/<name>__ch=<hash8>.<ext>} plus a JSON sidecar, under
 * a root that is the node's data dir (embedded engine) or the cluster's shared warehouse (cluster engine).
 * Files arrive finished in staging and are moved in atomically; every write is fsynced before it
 * counts, and nothing in the lake is ever modified afterwards.
 */
public final class LakeFiles {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dataDir;

    public LakeFiles(Path dataDir) {
        this.dataDir = requireNonNull(dataDir, "dataDir is null");
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path lakeDir() {
        return dataDir.resolve("lake");
    }

    public Path stagingDir() {
        return dataDir.resolve("staging");
    }

    /** Where an artifact's file goes; if that name is taken by different bytes, a suffix keeps both. */
    public Path placeFor(String type, int schemaVersion, String logicalKey, String contentHash, String fileHash, String extension, String id) {
        Path dir = lakeDir().resolve(safe(type)).resolve("v" + schemaVersion);
        String stem = safe(logicalKey) + "__ch=" + contentHash.substring(0, Math.min(8, contentHash.length()));
        Path candidate = dir.resolve(stem + "." + extension);
        if (Files.exists(candidate) && !fileHash.equals(sha256(candidate))) {
            candidate = dir.resolve(stem + "__" + id.substring(id.length() - 8).toLowerCase(java.util.Locale.ROOT) + "." + extension);
        }
        return candidate;
    }

    /**
     * Where an artifact's file goes when several daemons place files into one lake at once: the name carries the
     * artifact id, so two publishes never write the same path (the loser of a dedup race removes its own file and
     * never the winner's), whatever their bytes.
     */
    public Path placeUnique(String type, int schemaVersion, String logicalKey, String contentHash, String extension, String id) {
        Path dir = lakeDir().resolve(safe(type)).resolve("v" + schemaVersion);
        String stem = safe(logicalKey) + "__ch=" + contentHash.substring(0, Math.min(8, contentHash.length()));
        return dir.resolve(stem + "__" + safe(id).toLowerCase(java.util.Locale.ROOT) + "." + extension);
    }

    /** Moves a staged file into place (or drops it when identical bytes are already there). */
    public void moveIntoLake(Path staged, Path target) {
        try {
            Files.createDirectories(target.getParent());
            if (Files.exists(target)) {
                Files.deleteIfExists(staged);
                return;
            }
            try {
                Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
                Files.copy(staged, temporary, StandardCopyOption.REPLACE_EXISTING);
                fsync(temporary);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                Files.deleteIfExists(staged);
            }
            fsync(target);
            fsyncDirectory(target.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + staged + " into the lake: " + e.getMessage(), e);
        }
    }

    public static Path sidecarOf(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return file.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
    }

    /** Writes the sidecar: identity and provenance, enough to rebuild the catalog from the lake alone. */
    public void writeSidecar(Path sidecar, ArtifactRecord record) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", record.id());
        json.put("type", record.type());
        json.put("schema_version", record.schemaVersion());
        json.put("logical_key", record.logicalKey());
        json.put("content_hash", record.contentHash());
        json.put("file_hash", record.fileHash());
        json.put("row_count", record.rowCount());
        json.put("size_bytes", record.sizeBytes());
        json.put("min_ts_ms", record.minTsMs());
        json.put("max_ts_ms", record.maxTsMs());
        json.put("columns", columns(record.columns()));
        json.put("tags", record.tags());
        json.put("input_artifact_ids", record.inputIds());
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("writer", record.provenance().writer());
        provenance.put("writer_version", record.provenance().writerVersion());
        provenance.put("params", parse(record.provenance().paramsJson()));
        json.put("provenance", provenance);
        json.put("created_at_ms", record.createdAtMs());
        try {
            Path temporary = sidecar.resolveSibling(sidecar.getFileName() + ".tmp");
            Files.write(temporary, JSON.writeValueAsBytes(json));
            fsync(temporary);
            Files.move(temporary, sidecar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(sidecar.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sidecar " + sidecar + ": " + e.getMessage(), e);
        }
    }

    public String relative(Path path) {
        return dataDir.relativize(path).toString();
    }

    public static List<Map<String, String>> columns(List<ColumnSpec> columns) {
        return columns.stream().map(column -> Map.of("name", column.name(), "type", column.type())).toList();
    }

    public static Object parse(String json) {
        try {
            return JSON.readValue(json.isEmpty() ? "{}" : json, Object.class);
        } catch (IOException e) {
            return json;
        }
    }

    public static String sha256(Path file) {
        try (var input = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = input.read(buffer)) > 0) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    public static void fsyncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory; the file itself is synced.
        }
    }

    public static String safe(String text) {
        String replaced = text.replaceAll("[^A-Za-z0-9._=-]", "_");
        return replaced.length() > 120 ? replaced.substring(0, 120) : replaced;
    }
}
