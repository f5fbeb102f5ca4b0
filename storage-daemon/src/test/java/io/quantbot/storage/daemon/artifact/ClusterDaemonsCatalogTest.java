package io.quantbot.storage.daemon.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.GetArtifactRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three daemons of one cluster publish the same content at the same instant: a unique index in PostgreSQL decides, so
 * each round ends with one artifact (one registration not deduped, the others answered with it), one row and one file
 * in the warehouse, and every daemon serves it. Skips without a test PostgreSQL locally, fails under CI=true.
 */
class ClusterDaemonsCatalogTest {
    private static final long T0 = 1_767_225_600_000L;
    private static final int ROUNDS = 15;

    private TestPostgres.Database database;
    private final List<TestingStorageDaemon> daemons = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        database = TestPostgres.newDatabase();
        for (int node = 0; node < 3; node++) {
            daemons.add(database.configure(TestingStorageDaemon.builder().onDisk(Files.createTempDirectory("catalog-node-" + node + "-")))
                    .set("cluster.node-id", "node-" + node).build());
        }
    }

    @AfterEach
    void stop() {
        daemons.forEach(TestingStorageDaemon::close);
        daemons.forEach(TestingStorageDaemon::deleteDataDir);
        database.close();
    }

    @Test
    void theSameContentPublishedThroughThreeDaemonsAtOnceIsOneArtifact() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String token = String.format(java.util.Locale.ROOT, "Race%03d", round) + "1".repeat(35);
            List<LakeFixtures.Candle> candles = LakeFixtures.minuteCandles(T0 + round * 3_600_000L, 40);
            List<StagedArtifact> staged = new ArrayList<>();
            for (TestingStorageDaemon daemon : daemons) {
                staged.add(LakeFixtures.stageCandles(daemon, "race", token, "solana", "1m", candles));
            }
            CyclicBarrier together = new CyclicBarrier(daemons.size());
            List<CompletableFuture<Registration>> registrations = new ArrayList<>();
            for (int node = 0; node < daemons.size(); node++) {
                TestingStorageDaemon daemon = daemons.get(node);
                StagedArtifact artifact = staged.get(node);
                registrations.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        together.await(30, TimeUnit.SECONDS);
                        return daemon.getInstance(LakeCatalog.class).register(artifact).get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            List<Registration> results = new ArrayList<>();
            for (CompletableFuture<Registration> registration : registrations) {
                results.add(registration.get(90, TimeUnit.SECONDS));
            }
            assertThat(results.stream().filter(r -> !r.deduped()).count()).as("round %d: registrations that were not deduped", round).isEqualTo(1);
            String id = results.get(0).artifact().id();
            assertThat(results).as("round %d", round).allSatisfy(r -> assertThat(r.artifact().id()).isEqualTo(id));

            try (Connection connection = database.connect();
                    PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM artifacts WHERE logical_key LIKE ?")) {
                count.setString(1, "snapshot=race/chain=solana/token=" + token + "/%");
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    assertThat(rows.getLong(1)).as("round %d: catalog rows", round).isEqualTo(1);
                }
            }
            for (TestingStorageDaemon daemon : daemons) {
                assertThat(ArtifactPortGrpc.newBlockingStub(daemon.inProcessChannel()).getArtifact(GetArtifactRequest.newBuilder().setArtifactId(id).build())
                        .getId()).isEqualTo(id);
            }
        }
        // The unique index decided at least once (an insert refused, its winner read back), not only a read before the write.
        double conflicts = daemons.stream().mapToDouble(daemon -> daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class)
                .counter("quantbot.catalog.dedup_conflicts").count()).sum();
        assertThat(conflicts).as("registrations a unique key refused").isPositive();
        // One file per artifact in the warehouse: the losers' files were removed.
        try (Stream<Path> files = Files.walk(database.warehouse())) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("snapshot=race") && f.toString().endsWith(".parquet")).count())
                    .isEqualTo(ROUNDS);
        }
    }
}
