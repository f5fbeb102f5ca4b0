package io.quantbot.storage.daemon.artifact;

import static java.util.Objects.requireNonNull;

/** Who wrote an artifact and with what parameters (paramsJson is a JSON object). */
public record Provenance(String writer, String writerVersion, String paramsJson) {
    public Provenance {
        requireNonNull(writer, "writer is null");
        requireNonNull(writerVersion, "writerVersion is null");
        requireNonNull(paramsJson, "paramsJson is null");
    }
}
