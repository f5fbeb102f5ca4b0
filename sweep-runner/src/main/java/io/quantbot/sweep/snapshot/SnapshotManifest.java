package io.quantbot.sweep.snapshot;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The identity of a snapshot folder: SHA-256 over every regular file's relative path, size and bytes, in
 * path order. Two folders with the same manifest hash hold the same snapshot; any changed, added, removed
 * or renamed file changes it. Hidden files (a leading '.') are left out, as ImportSnapshot skips them.
 */
public final class SnapshotManifest {
    private SnapshotManifest() {}

    public record Digest(String sha256, int files, long bytes) {
        public Digest {
            requireNonNull(sha256, "sha256 is null");
        }
    }

    public static Digest of(Path folder) throws IOException {
        requireNonNull(folder, "folder is null");
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(path -> !hidden(folder.relativize(path)))
                    .sorted()
                    .toList();
        }
        byte[] buffer = new byte[1 << 16];
        long bytes = 0;
        for (Path file : files) {
            String relative = folder.relativize(file).toString().replace('\\', '/');
            long size = Files.size(file);
            digest.update((relative + "\0" + size + "\0").getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(file)) {
                for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                    digest.update(buffer, 0, read);
                }
            }
            bytes += size;
        }
        return new Digest(HexFormat.of().formatHex(digest.digest()), files.size(), bytes);
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
