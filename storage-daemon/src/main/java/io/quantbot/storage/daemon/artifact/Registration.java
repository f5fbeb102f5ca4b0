package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

/** The outcome of registering a staged artifact: the artifact, and whether it already existed with the same content. */
public record Registration(ArtifactRecord artifact, boolean deduped) {
    public Registration {
        requireNonNull(artifact, "artifact is null");
    }
}
