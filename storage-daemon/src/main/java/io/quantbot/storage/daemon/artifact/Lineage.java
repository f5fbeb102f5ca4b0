package io.quantbot.storage.daemon.artifact;

import java.util.List;

/** The artifacts reached from one artifact and the input → output edges between them. */
public record Lineage(List<ArtifactRecord> artifacts, List<Edge> edges, boolean truncated) {
    public Lineage {
        artifacts = List.copyOf(artifacts);
        edges = List.copyOf(edges);
    }

    public record Edge(String inputId, String outputId) {}

    public enum Direction { UPSTREAM, DOWNSTREAM, BOTH }
}
