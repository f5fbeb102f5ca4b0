package io.quantbot.storage.daemon.artifact;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The artifact catalog: immutable files in the lake plus their records, tags, lineage and supersede
 * links. The first implementation keeps the lake on the local disk and the catalog in the daemon's
 * DuckDB; past one machine the same interface fronts an Iceberg catalog (ARCHITECTURE.md).
 */
public interface LakeCatalog {
    Optional<ArtifactRecord> get(String id);

    /**
     * One page of matching artifacts, newest first: those with an id below {@code beforeId} (empty = from the
     * newest), at most {@code limit} of them. Ids are time-ordered, so a caller pages by passing the last id it got;
     * an engine answers from an index or a query with the bound and the limit pushed down, never by listing all.
     */
    List<ArtifactRecord> list(ArtifactQuery query, String beforeId, int limit);

    /** The records of several ids at once (ids with no artifact are left out): one lookup per lineage level. */
    Map<String, ArtifactRecord> getAll(java.util.Collection<String> ids);

    /** Artifacts with this type and logical key, newest first. */
    List<ArtifactRecord> findByLogicalKey(String type, String logicalKey);

    /** Active artifacts of a type carrying every given tag, newest first (served from an index). */
    List<ArtifactRecord> findActiveByTags(String type, Map<String, String> tags);

    /** For each id, the artifacts that list it as an input (one lookup per lineage level; ids without outputs may be absent). */
    Map<String, List<String>> outputsOf(java.util.Collection<String> ids);

    /**
     * Moves a staged file into the lake and registers it. Publishing content that is already there
     * (same type and file hash, or same type, logical key and content hash, among active artifacts)
     * registers nothing and returns the existing artifact with deduped = true.
     */
    CompletableFuture<Registration> register(StagedArtifact staged);

    /** Several at once, atomically: all are registered (or deduped) or none. */
    CompletableFuture<List<Registration>> registerAll(List<StagedArtifact> staged);

    /** Retires an artifact: superseded by an active replacement, or tombstoned when there is none. */
    CompletableFuture<ArtifactRecord> supersede(String id, Optional<String> replacementId, String reason);

    /** Where the artifact's file lives (no I/O): a {@code file:} URI on the embedded engine, an object-store URI elsewhere. */
    ArtifactLocation location(ArtifactRecord record);

    /**
     * A local file holding the artifact's bytes, for handing to a Python worker or streaming to a client: checked
     * first to still hold the bytes the catalog registered (its file hash); a changed or missing file is DATA_LOSS
     * (FILE_CORRUPTED) and is never served. An engine whose files are remote fetches them into a local cache here.
     */
    java.nio.file.Path localFile(ArtifactRecord record);
}
