package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where an artifact's file lives, as a URI an engine can satisfy: {@code file:///…/lake/…} on the embedded engine,
 * an object-store URI ({@code s3://…}) or an Iceberg data file elsewhere. Code that needs the bytes on this machine
 * (a Python worker, a stream to a client) asks the catalog for {@link LakeCatalog#localFile} instead.
 */
public record ArtifactLocation(URI uri) {
    public ArtifactLocation {
        requireNonNull(uri, "uri is null");
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("an artifact location needs a scheme (file, s3, ...): " + uri);
        }
    }

    public static ArtifactLocation of(Path file) {
        return new ArtifactLocation(file.toAbsolutePath().normalize().toUri());
    }

    /** The location for people: a local path for {@code file:} URIs, else the URI. */
    public String display() {
        return "file".equals(uri.getScheme()) ? Path.of(uri).toString() : uri.toString();
    }
}
