package io.quantbot.storage.daemon.server;

import java.util.Map;
import java.util.Optional;

/**
 * The role each RPC needs. Reads (including read-only Query and AnalyzeSweep) need read; anything that
 * writes state, rows or artifacts needs write; retiring artifacts needs admin. An RPC not listed here
 * needs admin, so a new RPC is closed until someone decides. Health and reflection need nothing.
 */
final class MethodRoles {
    private static final Map<String, Role> ROLES = Map.ofEntries(
            Map.entry("quantbot.storage.v1.StatePort/Get", Role.READ),
            Map.entry("quantbot.storage.v1.StatePort/BatchGet", Role.READ),
            Map.entry("quantbot.storage.v1.StatePort/List", Role.READ),
            Map.entry("quantbot.storage.v1.StatePort/Set", Role.WRITE),
            Map.entry("quantbot.storage.v1.StatePort/BatchSet", Role.WRITE),
            Map.entry("quantbot.storage.v1.StatePort/Delete", Role.WRITE),
            Map.entry("quantbot.storage.v1.StatePort/Transaction", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/GetArtifact", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/ReadArtifactFile", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/BatchGetArtifacts", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/ListArtifacts", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/FindByLogicalKey", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/GetLineage", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/Supersede", Role.ADMIN),
            Map.entry("quantbot.storage.v1.ArtifactPort/CreateRun", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/AppendRunRows", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/FinishRun", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/BatchCreateRuns", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/BatchFinishRuns", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/GetRun", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/ListRuns", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/GetCandles", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/BatchGetCandles", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/ImportSnapshot", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/UploadSnapshot", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/PublishArtifact", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/Query", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/AnalyzeSweep", Role.READ),
            Map.entry("quantbot.storage.v1.ArtifactPort/GenerateFeatures", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/GenerateReport", Role.WRITE),
            Map.entry("quantbot.storage.v1.ArtifactPort/GetServerInfo", Role.READ));

    private MethodRoles() {}

    /** Empty = open to anyone (health checks and reflection). */
    static Optional<Role> required(String fullMethodName) {
        if (fullMethodName.startsWith("grpc.health.v1.") || fullMethodName.startsWith("grpc.reflection.")) {
            return Optional.empty();
        }
        return Optional.of(ROLES.getOrDefault(fullMethodName, Role.ADMIN));
    }

    static Map<String, Role> all() {
        return ROLES;
    }
}
