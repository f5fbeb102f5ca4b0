package io.quantbot.storage.daemon.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.quantbot.storage.daemon.artifact.ArtifactQuery;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactStatus;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.cli.DaemonCommandAccess;
import io.quantbot.storage.daemon.state.StateEntry;
import io.quantbot.storage.daemon.state.StateKey;
import io.quantbot.storage.daemon.state.StateRepository;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.RunAppends;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.SupersedeRequest;
import io.quantbot.storage.v1.Value;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code migrate} end to end: a real embedded daemon fills a data dir (state with versions, TTLs and a delete; candles,
 * a superseded and a tombstoned artifact, two sealed runs with lineage; a run left running), is stopped, and the
 * command copies it into a real PostgreSQL and warehouse; a cluster daemon then serves every key with its version and
 * every artifact with its lineage and file bytes. Also: re-runs copy nothing, an interrupted copy completes, conflicts,
 * unsealed runs and a running daemon are refused, a dry run writes nothing, and bad sources and targets are named.
 * Skips without a reachable PostgreSQL locally; fails under CI=true ({@link TestPostgres}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterMigrationTest {
    private static final long T0 = 1_767_225_600_000L;
    private static final String TOKEN_A = "MigrateA111111111111111111111111111111111";
    private static final String TOKEN_C = "MigrateC111111111111111111111111111111111";
    private static final String NS = "migr";

    private Path root;
    private Path source;
    private List<StateEntry> sourceState;
    private List<ArtifactRecord> sourceArtifacts;
    private Map<String, byte[]> sourceFiles;
    private String openRunId;
    private String runWithTwoInputs;
    private List<SealedRun> sealedRuns;
    private final List<TestPostgres.Database> databases = new ArrayList<>();

    @BeforeAll
    void buildDataDir() throws Exception {
        TestPostgres.shared(); // skips (locally) or fails (CI=true) at once without PostgreSQL
        root = Files.createTempDirectory("migrate-");
        source = root.resolve("embedded");
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(source).build()) {
            StatePortGrpc.StatePortBlockingStub state = StatePortGrpc.newBlockingStub(daemon.loopbackChannel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            state.set(set("json1", "{\"a\":1}").build());
            state.set(set("raw1", "").setValue(Value.newBuilder().setRaw(ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 255}))).build());
            long v = state.set(set("cas", "1").build()).getVersion();
            v = state.set(set("cas", "2").setExpectedVersion(v).build()).getVersion();
            state.set(set("cas", "3").setExpectedVersion(v).build());
            state.set(set("ttl-long", "\"later\"").setTtlMs(3_600_000).build());
            state.set(set("ttl-short", "\"soon\"").setTtlMs(1).build());
            state.set(set("gone", "0").build());
            state.delete(DeleteRequest.newBuilder().setNamespace(NS).setKey("gone").build());
            state.set(SetRequest.newBuilder().setNamespace("other").setKey("k").setValue(Value.newBuilder().setJson("[1,2,3]")).build());

            ArtifactPortGrpc.ArtifactPortBlockingStub artifacts = ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel())
                    .withDeadlineAfter(30, TimeUnit.SECONDS);
            String a = LakeFixtures.publishCandles(daemon, "mig", TOKEN_A, "solana", "1m", LakeFixtures.minuteCandles(T0, 10)).artifact().id();
            String b = LakeFixtures.publishCandles(daemon, "mig", TOKEN_A, "solana", "1m", LakeFixtures.minuteCandles(T0, 11)).artifact().id();
            artifacts.supersede(SupersedeRequest.newBuilder().setArtifactId(a).setReplacementId(b).setReason("re-import").build());
            String c = LakeFixtures.publishCandles(daemon, "mig", TOKEN_C, "solana", "1m", LakeFixtures.minuteCandles(T0, 5)).artifact().id();
            artifacts.supersede(SupersedeRequest.newBuilder().setArtifactId(c).setReason("bad data").build());
            SealedRun first = sealRun(daemon, artifacts, "sw-mig", List.of(b));
            SealedRun second = sealRun(daemon, artifacts, "sw-mig-2", List.of(first.artifactId(), b));
            runWithTwoInputs = second.artifactId();
            sealedRuns = List.of(first, second);
            openRunId = artifacts.createRun(CreateRunRequest.newBuilder().setSweepId("sw-open").setScenarioId("s").addInputArtifactIds(b).build())
                    .getRun().getRunId();

            StateRepository repository = daemon.getInstance(StateRepository.class);
            Await.until("ttl-short expires", Duration.ofSeconds(30), () -> repository.scan(NS, "", "", 1000, System.currentTimeMillis()).stream()
                    .noneMatch(entry -> entry.key().key().equals("ttl-short")));
            long now = System.currentTimeMillis();
            sourceState = new ArrayList<>(repository.scan(NS, "", "", 1000, now));
            sourceState.addAll(repository.scan("other", "", "", 1000, now));
            LakeCatalog catalog = daemon.getInstance(LakeCatalog.class);
            sourceArtifacts = catalog.list(new ArtifactQuery(Optional.empty(), EnumSet.allOf(ArtifactStatus.class), Map.of(), 0, 0), "", 1000);
            sourceFiles = new HashMap<>();
            for (ArtifactRecord record : sourceArtifacts) {
                sourceFiles.put(record.id(), Files.readAllBytes(source.resolve(record.path())));
            }
        }
        assertThat(sourceState).extracting(entry -> entry.key().key()).containsExactlyInAnyOrder("cas", "json1", "raw1", "ttl-long", "k");
        assertThat(sourceState).filteredOn(entry -> entry.key().key().equals("cas")).singleElement()
                .satisfies(entry -> assertThat(entry.version()).isGreaterThan(2));
        assertThat(sourceArtifacts).hasSize(5);
        assertThat(sourceArtifacts).extracting(ArtifactRecord::status)
                .contains(ArtifactStatus.ACTIVE, ArtifactStatus.SUPERSEDED, ArtifactStatus.TOMBSTONED);
    }

    @AfterAll
    void dropDatabases() {
        databases.forEach(TestPostgres.Database::close);
    }

    // ---------------------------------------------------------------- the tests

    @Test
    void unsealedRunsAreRefusedThenADryRunWritesNothingThenTheCopyIsComplete() throws Exception {
        TestPostgres.Database db = database();

        DaemonCommandAccess.Result refused = migrate(db);
        assertThat(refused.exitCode()).as(refused.err()).isEqualTo(1);
        assertThat(refused.err()).contains("runs are not sealed").contains(openRunId).contains("--skip-unsealed-runs").contains("nothing was written");
        assertThat(count(db, "state_entries")).isZero();
        assertThat(count(db, "artifacts")).isZero();

        TestPostgres.Database fresh = database();
        DaemonCommandAccess.Result dry = migrate(fresh, "--dry-run", "--skip-unsealed-runs");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("DRY RUN").contains("would copy 5").contains(openRunId)
                .contains("runs:        2 finished and sealed: would record 2 in the cluster, 0 already there");
        try (Connection connection = fresh.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT to_regclass('state_entries') IS NULL AND to_regclass('artifacts') IS NULL")) {
            rows.next();
            assertThat(rows.getBoolean(1)).as("a dry run creates no table").isTrue();
        }

        DaemonCommandAccess.Result copied = migrate(db, "--skip-unsealed-runs");
        assertThat(copied.exitCode()).as(copied.err()).isZero();
        assertThat(copied.out()).contains("state keys:  5 live in the data dir: copied 5, 0 already in the cluster")
                .contains("artifacts:   5 in the catalog: copied 5, 0 already").contains("files:       copied 5")
                .contains("recorded 2 in the cluster, 0 already there").contains("1 not sealed, skipped");
        assertClusterServesEverything(db);

        DaemonCommandAccess.Result again = migrate(db, "--skip-unsealed-runs");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("copied 0, 5 already in the cluster").contains("artifacts:   5 in the catalog: copied 0, 5 already")
                .contains("files:       copied 0 (0 bytes").contains("recorded 0 in the cluster, 2 already there");
        assertThat(count(db, "runs")).as("the sealed runs, not the one left running").isEqualTo(2);
        assertThat(count(db, "state_entries")).isEqualTo(5);
        assertThat(count(db, "artifacts")).isEqualTo(5);
        assertThat(count(db, "artifact_supersedes")).isEqualTo(2);
        assertThat(count(db, "artifact_lineage")).isEqualTo(3);
    }

    @Test
    void anInterruptedCopyCompletes() throws Exception {
        TestPostgres.Database db = database();
        assertThat(migrate(db, "--skip-unsealed-runs").exitCode()).isZero();
        Path warehouse = warehouse(db);
        // Cut the target back to what a crash could leave: two keys missing, the newest run's artifact file copied
        // but its row (tags, lineage) not committed, a leftover temporary file, and one registered file gone.
        ArtifactRecord candles = sourceArtifacts.stream().filter(r -> r.type().equals("ohlcv_slice") && r.isActive()).findFirst().orElseThrow();
        String candlesPath;
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DELETE FROM state_entries WHERE key IN ('json1', 'cas')");
            statement.execute("UPDATE state_usage SET live_bytes = 0, keys = 0");
            statement.execute("DELETE FROM artifact_tags WHERE artifact_id = '" + runWithTwoInputs + "'");
            statement.execute("DELETE FROM artifact_lineage WHERE output_id = '" + runWithTwoInputs + "'");
            statement.execute("DELETE FROM artifacts WHERE artifact_id = '" + runWithTwoInputs + "'");
            try (ResultSet rows = statement.executeQuery("SELECT path FROM artifacts WHERE artifact_id = '" + candles.id() + "'")) {
                rows.next();
                candlesPath = rows.getString(1);
            }
        }
        Files.delete(warehouse.resolve(candlesPath));
        Files.writeString(warehouse.resolve(candlesPath + ".migrating"), "half a copy");

        DaemonCommandAccess.Result resumed = migrate(db, "--skip-unsealed-runs");
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("copied 2, 3 already in the cluster").contains("copied 1, 4 already")
                .contains("files:       copied 1").contains("of which 1 missing from the warehouse");
        assertClusterServesEverything(db);
        assertThat(count(db, "artifact_lineage")).isEqualTo(3);
    }

    @Test
    void conflictsAreNamedAndOverwriteStateResolvesStateConflicts() throws Exception {
        TestPostgres.Database db = database();
        assertThat(migrate(db, "--skip-unsealed-runs").exitCode()).isZero();
        ArtifactRecord tombstoned = sourceArtifacts.stream().filter(r -> r.status() == ArtifactStatus.TOMBSTONED).findFirst().orElseThrow();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE state_entries SET value_json = '{\"a\":2}', version = version + 100 WHERE key = 'json1'");
            statement.execute("UPDATE artifacts SET status = 'active' WHERE artifact_id = '" + tombstoned.id() + "'");
            statement.execute("UPDATE runs SET status = 'failed' WHERE run_id = '" + sealedRuns.get(0).runId() + "'");
            // The second run's scenario also ran in the cluster under another run id, which holds the idempotency key.
            statement.execute("UPDATE runs SET run_id = 'run_cluster_twin' WHERE run_id = '" + sealedRuns.get(1).runId() + "'");
        }
        DaemonCommandAccess.Result conflict = migrate(db, "--skip-unsealed-runs");
        assertThat(conflict.exitCode()).as(conflict.err()).isEqualTo(1);
        assertThat(conflict.err()).contains("migr/json1").contains("--overwrite-state").contains(tombstoned.id()).contains("nothing was written")
                .contains("2 runs conflict").contains(sealedRuns.get(0).runId() + " (sweep sw-mig, scenario s): the cluster has it failed")
                .contains("the cluster's run run_cluster_twin already holds its idempotency key " + sealedRuns.get(1).key());
        assertThat(count(db, "runs")).isEqualTo(2);

        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE artifacts SET status = 'tombstoned' WHERE artifact_id = '" + tombstoned.id() + "'");
            statement.execute("UPDATE runs SET status = 'succeeded' WHERE run_id = '" + sealedRuns.get(0).runId() + "'");
            statement.execute("UPDATE runs SET run_id = '" + sealedRuns.get(1).runId() + "' WHERE run_id = 'run_cluster_twin'");
        }
        DaemonCommandAccess.Result dry = migrate(db, "--skip-unsealed-runs", "--dry-run");
        assertThat(dry.exitCode()).as("a dry run reports the conflict too").isEqualTo(1);
        assertThat(dry.err()).contains("migr/json1");
        DaemonCommandAccess.Result overwritten = migrate(db, "--skip-unsealed-runs", "--overwrite-state");
        assertThat(overwritten.exitCode()).as(overwritten.err()).isZero();
        assertThat(overwritten.out()).contains("overwrote 1");
        assertClusterServesEverything(db);
    }

    @Test
    void aRunningDaemonIsRefused() throws Exception {
        TestPostgres.Database db = database();
        Path busy = root.resolve("busy");
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(busy).build()) {
            DaemonCommandAccess.Result refused = DaemonCommandAccess.run(Map.of(),
                    Stream.concat(Stream.of("migrate", "--from-data-dir", busy.toString()), Stream.of(db.nodeArgs("migrate"))).toArray(String[]::new));
            assertThat(refused.exitCode()).as(refused.err()).isEqualTo(3);
            assertThat(refused.err()).contains("is locked by").contains("Stop the embedded daemon first");
        }
        assertThat(count(db, "state_entries")).isZero();
    }

    @Test
    void badSourcesAndTargetsAreNamed() throws Exception {
        TestPostgres.Database db = database();
        Path empty = Files.createDirectories(root.resolve("empty"));
        DaemonCommandAccess.Result noDatabase = migrate(db, empty);
        assertThat(noDatabase.exitCode()).isEqualTo(2);
        assertThat(noDatabase.err()).contains("there is no embedded database at");

        Path foreign = Files.createDirectories(root.resolve("foreign"));
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + foreign.resolve("quantbot.duckdb"));
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE something (i INTEGER)");
        }
        DaemonCommandAccess.Result noSchema = migrate(db, foreign);
        assertThat(noSchema.exitCode()).isEqualTo(2);
        assertThat(noSchema.err()).contains("has no schema version");

        Path newer = Files.createDirectories(root.resolve("newer"));
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + newer.resolve("quantbot.duckdb"));
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE schema_migrations (version INTEGER, description VARCHAR, checksum VARCHAR)");
            statement.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 'x')");
        }
        DaemonCommandAccess.Result unsupported = migrate(db, newer);
        assertThat(unsupported.exitCode()).isEqualTo(2);
        assertThat(unsupported.err()).contains("unsupported source schema").contains("99");

        DaemonCommandAccess.Result noWarehouse = migrate(db, source, "--skip-unsealed-runs", "--set",
                "cluster.warehouse=" + root.resolve("no-such-warehouse").toUri());
        assertThat(noWarehouse.exitCode()).isEqualTo(2);
        assertThat(noWarehouse.err()).contains("does not exist").contains("no-such-warehouse");

        DaemonCommandAccess.Result unreachable = migrate(db, source, "--skip-unsealed-runs", "--set",
                "cluster.postgres-url=jdbc:postgresql://127.0.0.1:1/quantbot");
        assertThat(unreachable.exitCode()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/quantbot");

        Path corrupt = root.resolve("corrupt");
        copyTree(source, corrupt);
        ArtifactRecord victim = sourceArtifacts.get(0);
        Files.write(corrupt.resolve(victim.path()), new byte[] {1, 2, 3});
        DaemonCommandAccess.Result changed = migrate(db, corrupt, "--skip-unsealed-runs");
        assertThat(changed.exitCode()).as(changed.err()).isEqualTo(4);
        assertThat(changed.err()).contains("DATA_LOSS").contains(victim.id()).contains(victim.path());
    }

    // ---------------------------------------------------------------- checks

    /** A cluster daemon on the target serves every key with its version, every artifact with its lineage and bytes; CAS goes on. */
    private void assertClusterServesEverything(TestPostgres.Database db) throws Exception {
        try (TestingStorageDaemon cluster = db.configure(TestingStorageDaemon.builder()).onDisk(Files.createTempDirectory(root, "node-")).build()) {
            StateRepository state = cluster.getInstance(StateRepository.class);
            for (StateEntry expected : sourceState) {
                assertThat(state.find(expected.key())).as(expected.key().toString()).contains(expected);
            }
            assertThat(state.find(new StateKey(NS, "ttl-short"))).isEmpty();
            assertThat(state.find(new StateKey(NS, "gone"))).isEmpty();
            StateEntry cas = sourceState.stream().filter(e -> e.key().key().equals("cas")).findFirst().orElseThrow();
            StatePortGrpc.StatePortBlockingStub stub = StatePortGrpc.newBlockingStub(cluster.loopbackChannel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            long next = stub.set(set("cas", "4").setExpectedVersion(cas.version()).build()).getVersion();
            assertThat(next).as("a compare-and-set against the migrated version succeeds, with a higher version").isGreaterThan(cas.version());
            long created = stub.set(SetRequest.newBuilder().setNamespace("after").setKey("new").setValue(Value.newBuilder().setJson("1")).build())
                    .getVersion();
            long highest = sourceState.stream().mapToLong(StateEntry::version).max().orElseThrow();
            assertThat(created).as("new versions come after every migrated one").isGreaterThan(highest);

            LakeCatalog catalog = cluster.getInstance(LakeCatalog.class);
            for (ArtifactRecord expected : sourceArtifacts) {
                ArtifactRecord actual = catalog.get(expected.id()).orElseThrow(() -> new AssertionError("missing " + expected.id()));
                assertThat(withoutPaths(actual)).isEqualTo(withoutPaths(expected));
                assertThat(actual.path()).startsWith("lake/").contains(expected.id().toLowerCase(java.util.Locale.ROOT));
                assertThat(Files.readAllBytes(catalog.localFile(actual))).isEqualTo(sourceFiles.get(expected.id()));
                assertThat(warehouse(db).resolve(actual.sidecarPath())).as("sidecar").isRegularFile();
            }
            ArtifactRecord run = catalog.get(runWithTwoInputs).orElseThrow();
            assertThat(run.inputIds()).hasSize(2);
            assertThat(catalog.outputsOf(List.of(run.inputIds().get(0)))).containsKey(run.inputIds().get(0));

            // The sealed runs are the cluster's: GetRun answers them, and CreateRun with their idempotency key returns
            // the migrated run instead of running the scenario again (which would duplicate its results).
            ArtifactPortGrpc.ArtifactPortBlockingStub runs = ArtifactPortGrpc.newBlockingStub(cluster.loopbackChannel())
                    .withDeadlineAfter(30, TimeUnit.SECONDS);
            for (SealedRun sealed : sealedRuns) {
                var got = runs.getRun(GetRunRequest.newBuilder().setRunId(sealed.runId()).build());
                assertThat(got.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
                assertThat(got.getResultArtifactId()).isEqualTo(sealed.artifactId());
                assertThat(got.getRowCount()).isEqualTo(10);
                var again = runs.createRun(CreateRunRequest.newBuilder().setSweepId(got.getSweepId()).setScenarioId("s")
                        .setIdempotencyKey(sealed.key()).build());
                assertThat(again.getCreated()).as("the scenario is not run again").isFalse();
                assertThat(again.getRun().getRunId()).isEqualTo(sealed.runId());
            }
            assertThatThrownBy(() -> runs.getRun(GetRunRequest.newBuilder().setRunId(openRunId).build())).as("the run left running stays behind")
                    .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND));

            // The active Parquet artifacts reach the Iceberg lake through the outbox (their lake columns start empty);
            // the retired ones are never appended.
            Await.until("the migrated artifacts are appended to their Iceberg tables", Duration.ofMinutes(1), () -> {
                long[] lake = lakeColumns(db);
                assertThat(lake[2]).as("retired artifacts appended to the lake").isZero();
                return lake[0] == 2 && lake[1] == 3;
            });
            // Put the key back as migrated, for the next run on this database.
            stub.set(set("cas", "3").setExpectedVersion(next).build());
        }
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            statement.execute("DELETE FROM state_entries WHERE namespace = 'after'");
            StateEntry cas = sourceState.stream().filter(e -> e.key().key().equals("cas")).findFirst().orElseThrow();
            statement.execute("UPDATE state_entries SET version = " + cas.version() + ", value_json = '3', created_at_ms = " + cas.createdAtMs()
                    + ", updated_at_ms = " + cas.updatedAtMs() + " WHERE namespace = 'migr' AND key = 'cas'");
        }
    }

    private static ArtifactRecord withoutPaths(ArtifactRecord record) {
        return new ArtifactRecord(record.id(), record.type(), record.schemaVersion(), record.logicalKey(), record.status(), "", "", record.fileHash(),
                record.contentHash(), record.rowCount(), record.sizeBytes(), record.minTsMs(), record.maxTsMs(), record.createdAtMs(), record.tags(),
                record.inputIds(), record.supersededBy(), record.provenance(), record.columns());
    }

    // ---------------------------------------------------------------- helpers

    private TestPostgres.Database database() {
        TestPostgres.Database db = TestPostgres.newDatabase();
        databases.add(db);
        return db;
    }

    private DaemonCommandAccess.Result migrate(TestPostgres.Database db, String... flags) {
        return migrate(db, source, flags);
    }

    private static DaemonCommandAccess.Result migrate(TestPostgres.Database db, Path from, String... flags) {
        String[] args = Stream.of(Stream.of("migrate", "--from-data-dir", from.toString()), Stream.of(db.nodeArgs("migrate")), Stream.of(flags))
                .flatMap(s -> s).toArray(String[]::new);
        return DaemonCommandAccess.run(Map.of(), args);
    }

    private static Path warehouse(TestPostgres.Database db) throws Exception {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT value FROM cluster_settings WHERE name = 'warehouse'")) {
            rows.next();
            return Path.of(URI.create(rows.getString(1)));
        }
    }

    /** Artifacts with no lake snapshot, active ones with one, and retired ones with one. */
    private static long[] lakeColumns(TestPostgres.Database db) {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*) FILTER (WHERE lake_snapshot_id IS NULL),"
                        + " count(*) FILTER (WHERE status = 'active' AND lake_snapshot_id > 0),"
                        + " count(*) FILTER (WHERE status <> 'active' AND lake_snapshot_id IS NOT NULL) FROM artifacts")) {
            rows.next();
            return new long[] {rows.getLong(1), rows.getLong(2), rows.getLong(3)};
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(TestPostgres.Database db, String table) throws Exception {
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            try (ResultSet exists = statement.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
                exists.next();
                if (!exists.getBoolean(1)) {
                    return 0;
                }
            }
            try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table)) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static SetRequest.Builder set(String key, String json) {
        return SetRequest.newBuilder().setNamespace(NS).setKey(key).setValue(Value.newBuilder().setJson(json));
    }

    /** A run sealed on the embedded daemon: its id, idempotency key and run_results artifact. */
    private record SealedRun(String runId, String key, String artifactId) {}

    private static SealedRun sealRun(TestingStorageDaemon daemon, ArtifactPortGrpc.ArtifactPortBlockingStub stub, String sweep, List<String> inputs)
            throws Exception {
        String key = "migrate-test/" + sweep + "/s";
        var run = stub.createRun(CreateRunRequest.newBuilder().setSweepId(sweep).setScenarioId("s").setIdempotencyKey(key)
                .addAllInputArtifactIds(inputs).build()).getRun();
        RunAppends.append(daemon.loopbackChannel(),
                List.of(AppendRunRowsRequest.newBuilder().setRunId(run.getRunId()).setChunkSeq(1).setRows(RowChunks.chunk(0, 10)).build()));
        String artifact = stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build())
                .getResultArtifactId();
        assertThat(artifact).as("the run is sealed").isNotEmpty();
        return new SealedRun(run.getRunId(), key, artifact);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else if (!path.getFileName().toString().equals("daemon.lock")) {
                    Files.copy(path, target);
                }
            }
        }
    }
}
