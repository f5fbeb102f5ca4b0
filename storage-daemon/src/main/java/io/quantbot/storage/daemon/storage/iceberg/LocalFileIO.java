package io.quantbot.storage.daemon.storage.iceberg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;

/**
 * Iceberg's file access for a warehouse on a local or mounted file system ({@code file:///…} locations or absolute
 * paths), without Hadoop: the daemon's lake files already live there, and Hadoop's client would add tens of
 * megabytes for the same four calls. An {@code s3://} warehouse uses Iceberg's S3FileIO instead (docs/operations.md).
 * Spark and Trino read the same tables with their own FileIO (HadoopFileIO reads {@code file:} paths).
 */
public final class LocalFileIO implements FileIO {
    private static final long serialVersionUID = 1L;

    @Override
    public InputFile newInputFile(String location) {
        return org.apache.iceberg.Files.localInput(path(location).toFile());
    }

    @Override
    public OutputFile newOutputFile(String location) {
        Path path = path(location);
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + location, e);
        }
        return org.apache.iceberg.Files.localOutput(path.toFile());
    }

    @Override
    public void deleteFile(String location) {
        try {
            Files.deleteIfExists(path(location));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + location, e);
        }
    }

    /**
     * A {@code file:} location or an absolute path. The scheme is cut off, not URI-decoded: Iceberg builds
     * locations by appending names to the warehouse string, so a warehouse path with a space stays as written.
     */
    static Path path(String location) {
        String rest = location.startsWith("file://") ? location.substring("file://".length())
                : location.startsWith("file:") ? location.substring("file:".length()) : location;
        Path path = Path.of(rest);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("LocalFileIO reads file: locations and absolute paths, not " + location);
        }
        return path;
    }
}
