package io.quantbot.storage.daemon.storage.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.storage.postgres.PostgresLakeCatalog;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Iceberg lake wired into cluster mode (issue 13 item 3) on a real PostgreSQL and real Iceberg tables: a publish
 * through the cluster's catalog lands as one data file, a tombstone removes it (time travel still sees it), a crash
 * between the catalog commit and the lake commit is repaired by the reconciler exactly once even with two reconcilers,
 * and a conflicting Iceberg commit is retried.
 */
class IcebergLakePublisherTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final String TOKEN = "Lake111111111111111111111111111111111111111";

    private TestPostgres.Database postgres;
    private TestingStorageDaemon daemon;
    private final List<IcebergLakePublisher> standalone = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        postgres = TestPostgres.newDatabase();
        daemon = postgres.configure(TestingStorageDaemon.builder()).onDisk(Files.createTempDirectory("lake-publisher-")).build();
    }

    @AfterEach
    void stop() throws Exception {
        for (IcebergLakePublisher publisher : standalone) {
            publisher.stop();
        }
        if (daemon != null) {
            daemon.close();
            daemon.deleteDataDir();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aPublishThroughTheClusterCatalogAppendsOneDataFileWithTheSummary() throws Exception {
        IcebergLakePublisher publisher = daemon.getInstance(IcebergLakePublisher.class);
        ArtifactRecord artifact = LakeFixtures.publishCandles(daemon, "lake", TOKEN, "solana", "1m", LakeFixtures.minuteCandles(T0, 7)).artifact();
        awaitTrue(() -> lakeSnapshot(artifact.id()) != null);

        IcebergLake lake = publisher.lake();
        Table table = lake.table(ArtifactTypes.OHLCV_SLICE_TYPE);
        assertThat(lake.dataFiles(ArtifactTypes.OHLCV_SLICE_TYPE)).hasSize(1);
        Snapshot snapshot = table.snapshot(lakeSnapshot(artifact.id()));
        assertThat(snapshot.summary()).containsEntry(IcebergLake.ARTIFACT_ID, artifact.id())
                .containsEntry(IcebergLake.CONTENT_HASH, artifact.contentHash()).containsEntry("added-records", "7");
        assertThat(table.snapshots()).hasSize(1);
        awaitTrue(() -> daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class)
                .get("quantbot.lake.pending").gauge().value() == 0);
    }

    @Test
    void aTombstoneRemovesTheFileFromTheCurrentSnapshotAndTimeTravelStillSeesIt() throws Exception {
        IcebergLake lake = daemon.getInstance(IcebergLakePublisher.class).lake();
        ArtifactRecord artifact = LakeFixtures.publishCandles(daemon, "retire", TOKEN, "solana", "1m", LakeFixtures.minuteCandles(T0, 5)).artifact();
        awaitTrue(() -> lakeSnapshot(artifact.id()) != null);
        long appended = lakeSnapshot(artifact.id());
        List<String> files = lake.dataFiles(ArtifactTypes.OHLCV_SLICE_TYPE);
        assertThat(files).hasSize(1);

        daemon.getInstance(LakeCatalog.class).supersede(artifact.id(), Optional.empty(), "test tombstone").join();
        awaitTrue(() -> retiredSnapshot(artifact.id()) != null);
        assertThat(lake.dataFiles(ArtifactTypes.OHLCV_SLICE_TYPE)).isEmpty();
        Table table = lake.table(ArtifactTypes.OHLCV_SLICE_TYPE);
        List<String> earlier = new ArrayList<>();
        try (var tasks = table.newScan().useSnapshot(appended).planFiles()) {
            tasks.forEach(task -> earlier.add(task.file().location()));
        }
        assertThat(earlier).isEqualTo(files);
    }

    @Test
    void aCrashBetweenCatalogCommitAndLakeCommitIsRepairedOnceEvenByTwoReconcilers() throws Exception {
        // The daemon's own publisher is gone (as if the daemon died after the catalog COMMIT): the row stays pending.
        daemon.getInstance(IcebergLakePublisher.class).stop();
        ArtifactRecord artifact = LakeFixtures.publishCandles(daemon, "crash", TOKEN, "solana", "1m", LakeFixtures.minuteCandles(T0, 4)).artifact();
        assertThat(lakeSnapshot(artifact.id())).isNull();

        ClusterConfig cluster = daemon.getInstance(ClusterConfig.class);
        PostgresLakeCatalog outbox = daemon.getInstance(PostgresLakeCatalog.class);
        SimpleMeterRegistry registryA = new SimpleMeterRegistry();
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        IcebergLakePublisher a = IcebergLakePublisher.create(cluster, outbox, registryA);
        IcebergLakePublisher b = IcebergLakePublisher.create(cluster, outbox, registryB);
        standalone.add(a);
        standalone.add(b);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> first = pool.submit(() -> a.reconcile(100));
            Future<Integer> second = pool.submit(() -> b.reconcile(100));
            assertThat(first.get() + second.get()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(lakeSnapshot(artifact.id())).isNotNull();
        assertThat(a.lake().dataFiles(ArtifactTypes.OHLCV_SLICE_TYPE)).hasSize(1);
        assertThat(a.lake().table(ArtifactTypes.OHLCV_SLICE_TYPE).snapshots()).hasSize(1);
        double appends = registryA.get("quantbot.lake.commits").tag("op", "append").counter().count()
                + registryB.get("quantbot.lake.commits").tag("op", "append").counter().count();
        assertThat(appends).isEqualTo(1);

        // Both reconcilers committing the same entry (the row lost its snapshot id): the summary check makes it a no-op.
        try (Connection connection = postgres.connect();
                PreparedStatement reset = connection.prepareStatement("UPDATE artifacts SET lake_snapshot_id = NULL WHERE artifact_id = ?")) {
            reset.setString(1, artifact.id());
            reset.executeUpdate();
        }
        assertThat(b.reconcile(100)).isEqualTo(1);
        assertThat(a.lake().table(ArtifactTypes.OHLCV_SLICE_TYPE).snapshots()).hasSize(1);
        assertThat(a.lake().dataFiles(ArtifactTypes.OHLCV_SLICE_TYPE)).hasSize(1);
        assertThat(registryB.get("quantbot.iceberg.commits_recognised").counter().count()).isGreaterThanOrEqualTo(1);
        assertThat(a.reconcile(100)).isZero();
    }

    @Test
    void aConflictingIcebergCommitIsRetriedWithBackoffAndCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        IcebergLakePublisher publisher = new IcebergLakePublisher(daemon.getInstance(IcebergLakePublisher.class).lake(),
                daemon.getInstance(PostgresLakeCatalog.class), null, Duration.ofMillis(1), registry);
        AtomicInteger attempts = new AtomicInteger();
        long snapshot = publisher.withRetries(() -> {
            if (attempts.incrementAndGet() <= 2) {
                throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "conflict")
                        .cause(new CommitFailedException("another daemon committed first")).build();
            }
            return 42L;
        });
        assertThat(snapshot).isEqualTo(42L);
        assertThat(attempts).hasValue(3);
        assertThat(registry.get("quantbot.lake.commit_conflicts").counter().count()).isEqualTo(2);
    }

    private Long lakeSnapshot(String id) {
        return column("lake_snapshot_id", id);
    }

    private Long retiredSnapshot(String id) {
        return column("lake_retired_snapshot_id", id);
    }

    private Long column(String column, String id) {
        try (Connection connection = postgres.connect();
                PreparedStatement select = connection.prepareStatement("SELECT " + column + " FROM artifacts WHERE artifact_id = ?")) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                long value = rows.getLong(1);
                return rows.wasNull() ? null : value;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits for the condition (30 s at most). */
    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        io.quantbot.storage.daemon.testing.Await.until("the lake condition", Duration.ofSeconds(30), condition);
    }
}
