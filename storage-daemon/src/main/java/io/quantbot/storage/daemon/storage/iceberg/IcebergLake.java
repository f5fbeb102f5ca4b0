package io.quantbot.storage.daemon.storage.iceberg;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.io.CloseableIterable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lake as Iceberg tables (cluster mode, issue 13): each artifact type with a fixed schema is one table in the
 * catalog's {@code quantbot} namespace, and an artifact is one Parquet data file appended to its type's table in one
 * commit. The commit's snapshot summary carries the artifact id, its content hash and the seal that made it
 * ({@value #ARTIFACT_ID}, {@value #CONTENT_HASH}, {@value #SEAL_ID}), so a publish retried after an unknown commit
 * outcome (a lost connection to the catalog, a daemon killed mid-commit) finds its snapshot and is not applied
 * twice. Retiring an artifact (supersede, tombstone) deletes its file from the table in a new snapshot; time travel
 * to an older snapshot still sees it. Readers (Python workers, Spark, Trino, DuckDB) get the current snapshot's
 * data files by path ({@link #dataFiles}).
 *
 * <p>Concurrency: Iceberg's optimistic commit retries an append that lost a race with another daemon's commit
 * (commit.retry.num-retries) and re-applies it on the new metadata; an append cannot conflict with another append.
 */
public final class IcebergLake {
    static final String ARTIFACT_ID = "quantbot.artifact-id";
    static final String CONTENT_HASH = "quantbot.content-hash";
    static final String SEAL_ID = "quantbot.seal-id";
    static final String RETIRED_ARTIFACT_ID = "quantbot.retired-artifact-id";
    static final Namespace NAMESPACE = Namespace.of("quantbot");
    private static final Logger log = LoggerFactory.getLogger(IcebergLake.class);

    private final Catalog catalog;
    private final Counter commits;
    private final Counter recognised;
    private final Counter conflicts;
    private final Counter unknown;

    public IcebergLake(Catalog catalog, MeterRegistry registry) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        requireNonNull(registry, "registry is null");
        this.commits = counter(registry, "commits", "Iceberg commits of the lake (appends and retirements)");
        this.recognised = counter(registry, "commits_recognised", "Publishes that found their artifact already committed (a retried commit, not applied twice)");
        this.conflicts = counter(registry, "commit_conflicts", "Iceberg commits that still conflicted after Iceberg's own retries");
        this.unknown = counter(registry, "commit_unknown", "Iceberg commits whose outcome was unknown (the publish is retried and recognised)");
    }

    /** What a publish did: the snapshot holding the artifact, and whether this call committed it. */
    public record Published(long snapshotId, boolean committed) {}

    /**
     * Appends the artifact's Parquet file to its type's table, once. The file must already be at its final location
     * (the seal wrote it under the warehouse or the lake); the table records it by that location.
     */
    public Published publish(ArtifactRecord artifact, String location, String sealId) {
        requireNonNull(artifact, "artifact is null");
        requireNonNull(location, "location is null");
        requireNonNull(sealId, "sealId is null");
        Table table = table(artifact.type());
        Optional<Snapshot> existing = snapshotOf(table, artifact.id());
        if (existing.isPresent()) {
            recognised.increment();
            return new Published(existing.get().snapshotId(), false);
        }
        DataFiles.Builder file = DataFiles.builder(table.spec())
                .withPath(location)
                .withFormat(FileFormat.PARQUET)
                .withFileSizeInBytes(artifact.sizeBytes())
                .withRecordCount(artifact.rowCount());
        String partitionColumn = IcebergSchemas.PARTITION_COLUMN.get(artifact.type());
        if (partitionColumn != null) {
            file.withPartitionValues(List.of(partitionValue(artifact, partitionColumn)));
        }
        DataFile dataFile = file.build();
        try {
            table.newAppend()
                    .appendFile(dataFile)
                    .set(ARTIFACT_ID, artifact.id())
                    .set(CONTENT_HASH, artifact.contentHash())
                    .set(SEAL_ID, sealId)
                    .commit();
        } catch (CommitStateUnknownException e) {
            unknown.increment();
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "the Iceberg commit of artifact " + artifact.id()
                    + " has an unknown outcome (" + e.getMessage() + "); retry: a committed artifact is recognised, not added twice").cause(e).build();
        } catch (CommitFailedException e) {
            conflicts.increment();
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "the Iceberg commit of artifact " + artifact.id()
                    + " kept conflicting with other commits (" + e.getMessage() + "); retry it").cause(e).build();
        }
        commits.increment();
        table.refresh();
        Snapshot snapshot = snapshotOf(table, artifact.id()).orElseThrow(() -> new IllegalStateException(
                "artifact " + artifact.id() + " was committed but no snapshot of " + table.name() + " names it"));
        log.debug("Artifact {} appended to {} in snapshot {}", artifact.id(), table.name(), snapshot.snapshotId());
        return new Published(snapshot.snapshotId(), true);
    }

    /**
     * Copies the artifact's file from this node into the warehouse, under its table's data folder
     * ({@code <table>/data/<partition>/<artifact id>.parquet}), then publishes that copy: the lake no longer depends
     * on the node that sealed it. A copy left by an earlier attempt with the artifact's size is reused (the copy is
     * written to a temporary name and renamed, so a crash mid-copy leaves no file of the final name).
     */
    public Published publishFile(ArtifactRecord artifact, java.nio.file.Path localFile, String sealId) {
        requireNonNull(localFile, "localFile is null");
        Table table = table(artifact.type());
        Optional<Snapshot> existing = snapshotOf(table, artifact.id());
        if (existing.isPresent()) {
            recognised.increment();
            return new Published(existing.get().snapshotId(), false);
        }
        String partitionColumn = IcebergSchemas.PARTITION_COLUMN.get(artifact.type());
        String folder = partitionColumn == null ? "" : partitionColumn + "="
                + java.net.URLEncoder.encode(partitionValue(artifact, partitionColumn), java.nio.charset.StandardCharsets.UTF_8) + "/";
        String location = table.locationProvider().newDataLocation(folder + artifact.id() + ".parquet");
        java.nio.file.Path target = LocalFileIO.path(location);
        try {
            if (!java.nio.file.Files.exists(target) || java.nio.file.Files.size(target) != java.nio.file.Files.size(localFile)) {
                java.nio.file.Files.createDirectories(target.getParent());
                java.nio.file.Path partial = target.resolveSibling(target.getFileName() + ".partial");
                java.nio.file.Files.copy(localFile, partial, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                java.nio.file.Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (java.io.IOException e) {
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "cannot copy artifact " + artifact.id() + " into the warehouse at "
                    + location + ": " + e.getMessage()).cause(e).build();
        }
        return publish(artifact, location, sealId);
    }

    /**
     * Removes a retired (superseded or tombstoned) artifact's file from its table in a new snapshot; older
     * snapshots keep it for time travel. Idempotent: false when the current snapshot no longer holds the file.
     */
    public boolean retire(ArtifactRecord artifact, String location) {
        Table table = table(artifact.type());
        if (!dataFiles(table).contains(location)) {
            return false;
        }
        try {
            table.newDelete().deleteFile(location).set(RETIRED_ARTIFACT_ID, artifact.id()).commit();
        } catch (CommitStateUnknownException | CommitFailedException e) {
            (e instanceof CommitFailedException ? conflicts : unknown).increment();
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "retiring artifact " + artifact.id()
                    + " from Iceberg failed (" + e.getMessage() + "); retry it").cause(e).build();
        }
        commits.increment();
        return true;
    }

    /** The id of the type's current snapshot (0 when the table has none). */
    public long currentSnapshotId(String type) {
        Snapshot current = table(type).currentSnapshot();
        return current == null ? 0 : current.snapshotId();
    }

    /** The data files of the type's current snapshot, by location (what a reader of the table reads now). */
    public List<String> dataFiles(String type) {
        return dataFiles(table(type));
    }

    /** The snapshot that appended the artifact, if any (a linear look at the table's snapshot summaries). */
    public Optional<Long> snapshotOf(String type, String artifactId) {
        return snapshotOf(table(type), artifactId).map(Snapshot::snapshotId);
    }

    /** The table of a type, created (with its schema, partitioning and name mapping) on first use. */
    public Table table(String type) {
        TableIdentifier id = TableIdentifier.of(NAMESPACE, type);
        if (catalog.tableExists(id)) {
            return catalog.loadTable(id);
        }
        if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(NAMESPACE)) {
            try {
                namespaces.createNamespace(NAMESPACE, Map.of());
            } catch (AlreadyExistsException raced) {
                // another daemon created it first
            }
        }
        Schema schema = IcebergSchemas.icebergSchema(IcebergSchemas.schemaOf(type));
        PartitionSpec spec = IcebergSchemas.partitionSpec(type, schema);
        try {
            return catalog.createTable(id, schema, spec, IcebergSchemas.properties(schema));
        } catch (AlreadyExistsException raced) {
            return catalog.loadTable(id);
        }
    }

    private static String partitionValue(ArtifactRecord artifact, String column) {
        String value = artifact.tags().get(column);
        if (value == null) {
            throw StorageException.of(ErrorCode.INVALID_ARGUMENT, "artifact " + artifact.id() + " (" + artifact.type()
                    + ") has no " + column + " tag, which its Iceberg table is partitioned by");
        }
        return value;
    }

    private static List<String> dataFiles(Table table) {
        List<String> files = new ArrayList<>();
        if (table.currentSnapshot() == null) {
            return files;
        }
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                files.add(task.file().location());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot list the data files of " + table.name(), e);
        }
        return files;
    }

    private static Optional<Snapshot> snapshotOf(Table table, String artifactId) {
        for (Snapshot snapshot : table.snapshots()) {
            if (artifactId.equals(snapshot.summary().get(ARTIFACT_ID))) {
                return Optional.of(snapshot);
            }
        }
        return Optional.empty();
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder("quantbot.iceberg." + name).description(description).register(registry);
    }
}
