package io.quantbot.storage.daemon.storage.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import io.quantbot.storage.daemon.artifact.Provenance;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake as Iceberg tables in a JDBC catalog on a real PostgreSQL (issue 13, item 3), with a file: warehouse:
 * an artifact is one appended data file whose snapshot names it; a publish retried by a restarted daemon is
 * recognised, not applied twice; retiring removes the file in a new snapshot while time travel still sees it; two
 * daemons' catalogs appending at once both land (Iceberg's optimistic commit); DuckDB reads the current files.
 */
class IcebergLakeTest {
    @TempDir
    Path dir;

    private TestPostgres.Database postgres;
    private final List<JdbcCatalog> catalogs = new ArrayList<>();

    @BeforeEach
    void database() throws Exception {
        postgres = TestPostgres.newDatabase();
    }

    @AfterEach
    void drop() throws Exception {
        for (JdbcCatalog catalog : catalogs) {
            catalog.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    /** A daemon's view of the catalog: its own JdbcCatalog (own connections) on the shared database and warehouse. */
    private IcebergLake lake(SimpleMeterRegistry registry) {
        JdbcCatalog catalog = new JdbcCatalog();
        Map<String, String> properties = new HashMap<>();
        properties.put(CatalogProperties.URI, postgres.url());
        properties.put("jdbc.user", postgres.user());
        properties.put("jdbc.password", postgres.password());
        properties.put("jdbc.schema-version", "V1");
        properties.put(CatalogProperties.WAREHOUSE_LOCATION, "file://" + dir.resolve("warehouse"));
        properties.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
        catalog.initialize("quantbot", properties);
        catalogs.add(catalog);
        return new IcebergLake(catalog, registry);
    }

    @Test
    void anArtifactIsOneAppendedFileAndARetriedPublishIsRecognisedNotAppliedTwice() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        IcebergLake lake = lake(registry);
        ArtifactRecord artifact = runResults("art_1", "sw-a", 3);
        String location = parquet(artifact);

        IcebergLake.Published first = lake.publish(artifact, location, "seal-1");
        assertThat(first.committed()).isTrue();
        Table table = lake.table(ArtifactTypes.RUN_RESULTS_TYPE);
        Snapshot snapshot = table.snapshot(first.snapshotId());
        assertThat(snapshot.summary()).containsEntry(IcebergLake.ARTIFACT_ID, "art_1")
                .containsEntry(IcebergLake.CONTENT_HASH, artifact.contentHash()).containsEntry(IcebergLake.SEAL_ID, "seal-1")
                .containsEntry("added-records", "3");
        assertThat(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE)).containsExactly(location);

        // The same daemon retrying, and a restarted one (a new catalog client) retrying: both find the snapshot.
        assertThat(lake.publish(artifact, location, "seal-1")).isEqualTo(new IcebergLake.Published(first.snapshotId(), false));
        IcebergLake restarted = lake(new SimpleMeterRegistry());
        assertThat(restarted.publish(artifact, location, "seal-1").committed()).isFalse();
        assertThat(lake.table(ArtifactTypes.RUN_RESULTS_TYPE).snapshots()).hasSize(1);
        assertThat(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE)).containsExactly(location);
        assertThat(registry.get("quantbot.iceberg.commits").counter().count()).isEqualTo(1);
        assertThat(registry.get("quantbot.iceberg.commits_recognised").counter().count()).isEqualTo(1);
        assertThat(duckDbCount(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE))).isEqualTo(3);
    }

    @Test
    void publishingAFileCopiesItIntoTheWarehouseSoTheLakeOutlivesTheNode() throws Exception {
        IcebergLake lake = lake(new SimpleMeterRegistry());
        ArtifactRecord artifact = runResults("art_copied", "sw/odd name", 5);
        Path local = LocalFileIO.path(parquet(artifact));
        IcebergLake.Published published = lake.publishFile(artifact, local, "seal-c");
        assertThat(published.committed()).isTrue();
        List<String> files = lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE);
        assertThat(files).hasSize(1);
        Path copy = LocalFileIO.path(files.get(0));
        assertThat(copy).startsWith(dir.resolve("warehouse")).hasFileName("art_copied.parquet");
        assertThat(copy.getParent().getFileName().toString()).isEqualTo("sweep_id=sw%2Fodd+name");
        assertThat(Files.mismatch(copy, local)).isEqualTo(-1L);
        Files.delete(local);
        assertThat(duckDbCount(files)).as("the node's own file is gone; the lake still answers").isEqualTo(5);
        assertThat(lake.publishFile(artifact, dir.resolve("does-not-matter.parquet"), "seal-c").committed())
                .as("a retry finds the snapshot before it touches any file").isFalse();
        try (var listing = Files.list(copy.getParent())) {
            assertThat(listing.map(path -> path.getFileName().toString())).containsExactly("art_copied.parquet");
        }
    }

    @Test
    void retiringRemovesTheFileInANewSnapshotAndTimeTravelStillSeesIt() throws Exception {
        IcebergLake lake = lake(new SimpleMeterRegistry());
        ArtifactRecord kept = runResults("art_kept", "sw-b", 2);
        ArtifactRecord retired = runResults("art_retired", "sw-b", 4);
        lake.publish(kept, parquet(kept), "seal-k");
        IcebergLake.Published before = lake.publish(retired, parquet(retired), "seal-r");
        assertThat(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE)).hasSize(2);

        assertThat(lake.retire(retired, parquet(retired))).isTrue();
        assertThat(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE)).containsExactly(parquet(kept));
        assertThat(lake.retire(retired, parquet(retired))).as("a second retirement changes nothing").isFalse();
        Table table = lake.table(ArtifactTypes.RUN_RESULTS_TYPE);
        assertThat(table.currentSnapshot().summary()).containsEntry(IcebergLake.RETIRED_ARTIFACT_ID, "art_retired");
        List<String> asOfBefore = new ArrayList<>();
        try (var tasks = table.newScan().useSnapshot(before.snapshotId()).planFiles()) {
            tasks.forEach(task -> asOfBefore.add(task.file().location()));
        }
        assertThat(asOfBefore).containsExactlyInAnyOrder(parquet(kept), parquet(retired));
        assertThat(duckDbCount(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE))).isEqualTo(2);
    }

    @Test
    void twoDaemonsAppendingAtOnceBothLandEachArtifactOnce() throws Exception {
        IcebergLake one = lake(new SimpleMeterRegistry());
        IcebergLake two = lake(new SimpleMeterRegistry());
        one.table(ArtifactTypes.RUN_RESULTS_TYPE);
        List<ArtifactRecord> artifacts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ArtifactRecord artifact = runResults("art_c" + i, "sw-c" + (i % 3), 1 + i % 4);
            parquet(artifact);
            artifacts.add(artifact);
        }
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < artifacts.size(); i++) {
                ArtifactRecord artifact = artifacts.get(i);
                IcebergLake daemon = i % 2 == 0 ? one : two;
                done.add(threads.submit(() -> daemon.publish(artifact, location(artifact), "seal-" + artifact.id())));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            threads.shutdownNow();
        }
        List<String> files = two.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE);
        assertThat(files).hasSize(16).doesNotHaveDuplicates();
        Table table = one.table(ArtifactTypes.RUN_RESULTS_TYPE);
        List<String> named = new ArrayList<>();
        table.snapshots().forEach(snapshot -> named.add(snapshot.summary().get(IcebergLake.ARTIFACT_ID)));
        assertThat(named).hasSize(16).doesNotHaveDuplicates();
        long rows = artifacts.stream().mapToLong(ArtifactRecord::rowCount).sum();
        assertThat(duckDbCount(files)).isEqualTo(rows);
        // Partitioned by sweep: three partitions.
        Map<String, Long> bySweep = new HashMap<>();
        try (var tasks = table.newScan().planFiles()) {
            tasks.forEach(task -> bySweep.merge(task.file().partition().get(0, String.class), task.file().recordCount(), Long::sum));
        }
        assertThat(bySweep).containsOnlyKeys("sw-c0", "sw-c1", "sw-c2");
        assertThat(bySweep.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(rows);
    }

    @Test
    void anArtifactWithoutItsPartitionTagOrWithoutAFixedSchemaIsRefused() throws Exception {
        IcebergLake lake = lake(new SimpleMeterRegistry());
        ArtifactRecord untagged = record("art_untagged", ArtifactTypes.RUN_RESULTS_TYPE, Map.of(), 1);
        assertThatThrownBy(() -> lake.publish(untagged, "file://" + dir.resolve("x.parquet"), "seal"))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("sweep_id");
        ArtifactRecord features = record("art_features", ArtifactTypes.FEATURES_TYPE, Map.of(), 1);
        assertThatThrownBy(() -> lake.publish(features, "file://" + dir.resolve("f.parquet"), "seal"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no fixed schema");
        assertThat(lake.table(ArtifactTypes.RUN_RESULTS_TYPE).snapshots()).isEmpty();
    }

    // ------------------------------------------------------------------ fixtures

    private ArtifactRecord runResults(String id, String sweepId, int rows) {
        return record(id, ArtifactTypes.RUN_RESULTS_TYPE, Map.of("sweep_id", sweepId), rows);
    }

    private ArtifactRecord record(String id, String type, Map<String, String> tags, int rows) {
        return new ArtifactRecord(id, type, 1, id, ArtifactStatus.ACTIVE, "lake/" + id + ".parquet", "lake/" + id + ".json", "f" + id,
                "c" + id, rows, 0, 0, 0, 0, tags, List.of(), Optional.empty(), new Provenance("test", "1", "{}"), List.of());
    }

    private String location(ArtifactRecord artifact) {
        return "file://" + dir.resolve("lake").resolve(artifact.id() + ".parquet");
    }

    /** Writes the artifact's rows (run_results columns, its sweep) with DuckDB; returns its location. */
    private String parquet(ArtifactRecord artifact) throws Exception {
        Path file = LocalFileIO.path(location(artifact));
        if (Files.exists(file)) {
            return location(artifact);
        }
        Files.createDirectories(file.getParent());
        String columns = ArtifactTypes.RUN_RESULTS.columns().stream().map(column -> literal(column, artifact) + " AS " + column.name())
                .collect(Collectors.joining(", "));
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = connection.createStatement()) {
            statement.execute("COPY (SELECT " + columns + " FROM range(" + artifact.rowCount() + ") r(i)) TO '" + file + "' (FORMAT parquet)");
        }
        return location(artifact);
    }

    private static String literal(ColumnSpec column, ArtifactRecord artifact) {
        return switch (column.name()) {
            case "run_id" -> "'" + artifact.id() + "'";
            case "sweep_id" -> "'" + artifact.tags().get("sweep_id") + "'";
            default -> switch (column.type()) {
                case "VARCHAR" -> "'v' || i";
                case "BIGINT" -> "i::BIGINT";
                case "DOUBLE" -> "i * 0.5";
                case "BOOLEAN" -> "i % 2 = 0";
                default -> throw new IllegalArgumentException(column.type());
            };
        };
    }

    private static long duckDbCount(List<String> locations) throws Exception {
        String files = locations.stream().map(location -> "'" + LocalFileIO.path(location) + "'").collect(Collectors.joining(", "));
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FROM read_parquet([" + files + "])")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
