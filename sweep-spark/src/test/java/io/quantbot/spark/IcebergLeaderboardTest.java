package io.quantbot.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.storage.iceberg.IcebergLake;
import io.quantbot.storage.daemon.storage.iceberg.LocalFileIO;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.AnalyzeSweepResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.Leaderboard;
import io.quantbot.storage.v1.LeaderboardRow;
import io.quantbot.sweep.meta.RunnerBuild;
import io.quantbot.sweep.meta.SweepMetadata;
import io.quantbot.sweep.remote.CallsArtifacts;
import io.quantbot.sweep.remote.ScenarioLeases;
import io.quantbot.sweep.remote.ScenarioOutcome;
import io.quantbot.sweep.remote.ScenarioShard;
import io.quantbot.sweep.remote.SdkCandleSource;
import io.quantbot.sweep.results.SweepCalls;
import io.quantbot.sweep.snapshot.SnapshotGenerator;
import io.quantbot.sweep.snapshot.SnapshotOptions;
import io.quantbot.sweep.spec.CandleInterval;
import io.quantbot.sweep.spec.Scenario;
import io.quantbot.sweep.spec.SweepSpec;
import io.quantbot.sweep.spec.SweepSpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading the lake (cluster mode, issue 13): a sweep run on a cluster-mode daemon (PostgreSQL, shared warehouse) has
 * its sealed run_results appended to the Iceberg table {@code quantbot.run_results}; then Spark (local mode, Iceberg's
 * SparkCatalog over the same JDBC catalog) and DuckDB in the worker's Python (read_parquet over the table's current data
 * files for the sweep, as the daemon resolves a table scan for workers) compute the by_overlay and by_scenario
 * leaderboards, which equal AnalyzeSweep's: same groups in the same order, same n and win rate, mean to 1e-9, and
 * p5/p50/p95 to 1e-12 (Spark's exact {@code percentile} interpolates like DuckDB's {@code quantile_cont}; Spark's
 * {@code percentile_approx} would not match). Spark's
 * time travel ({@code VERSION AS OF} the first snapshot) sees the files of that snapshot only. Skips without a test
 * PostgreSQL locally; fails under CI=true (TestPostgres).
 */
class IcebergLeaderboardTest {
    /** The JDBC catalog's name: the daemon's (cluster mode) and Spark's catalog name, so both see one catalog. */
    private static final String CATALOG = "quantbot";
    private static final String TABLE = "quantbot.quantbot.run_results";
    private static final String SWEEP = "lake-sweep";
    private static final String OTHER_SWEEP = "lake-other";
    private static final int CALLS = 120;
    private static final List<String> BOARDS = List.of("by_overlay", "by_scenario");
    private static final Map<String, String> KEY_COLUMN = Map.of("by_overlay", "overlay_set", "by_scenario", "scenario_id");

    @TempDir
    Path dir;

    private TestPostgres.Database database;
    private TestingStorageDaemon daemon;
    private QuantbotStorageClient client;
    private JdbcCatalog catalog;
    private SparkSession spark;

    @AfterEach
    void stop() throws Exception {
        if (spark != null) {
            spark.stop();
        }
        if (catalog != null) {
            catalog.close();
        }
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.close();
        }
        if (database != null) {
            database.close();
            try (var walk = Files.walk(database.warehouse())) {
                for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    @Test
    void sparkAndDuckDbReadRunResultsFromTheLakeAndGiveAnalyzeSweepsLeaderboards() throws Exception {
        long started = System.nanoTime();
        database = TestPostgres.newDatabase();
        daemon = database.configure(TestingStorageDaemon.builder().onDisk(dir.resolve("node")))
                .set("python-worker.pool-size", "1")
                .set("python-worker.python", TestingStorageDaemon.PYTHON.toString())
                .set("log.access", "off")
                .build();
        client = QuantbotStorageClient.builder().target("127.0.0.1:" + daemon.grpcPort()).coarseDeadline(Duration.ofMinutes(3)).build();
        Await.until("the lake daemon's worker ready", Duration.ofMinutes(2), () -> {
            var info = client.artifacts().getServerInfo();
            return info.getWorkerPoolSize() > 0 && info.getWorkersReady() == info.getWorkerPoolSize();
        });
        Path snapshot = daemon.dataDir().resolve("imports").resolve("lake-snapshot");
        new SnapshotGenerator(new SnapshotOptions(8, 1, CALLS, 4, 13, SnapshotOptions.DEFAULT_START_MILLIS,
                List.of(CandleInterval.ONE_MINUTE))).generate(snapshot);
        client.artifacts().importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(snapshot.toString())
                .setSnapshotName("lake-snapshot").build());

        SweepSpec spec = spec(SWEEP, "[0s, 1m, 2m]");
        List<String> ids = spec.scenarios().stream().map(Scenario::id).toList();
        assertThat(ids).hasSize(12);
        IcebergLake lake = lake();

        // Two waves, so two sealed artifacts and two snapshots of the table (time travel sees the first alone).
        runShard(spec, ids.subList(0, 6));
        List<String> firstWave = awaitLake(lake, SWEEP);
        assertThat(firstWave).hasSize(1);
        Table table = lake.table(ArtifactTypes.RUN_RESULTS_TYPE);
        long firstSnapshot = table.currentSnapshot().snapshotId();
        runShard(spec, ids.subList(6, 12));
        assertThat(awaitLake(lake, SWEEP)).hasSize(2).startsWith(firstWave.get(0));
        // Another sweep in the same table: every reader must filter by sweep_id (the table's partition).
        SweepSpec other = spec(OTHER_SWEEP, "[0s]");
        runShard(other, other.scenarios().stream().map(Scenario::id).toList());
        awaitLake(lake, OTHER_SWEEP);
        table.refresh();
        assertThat(table.snapshots()).hasSize(3);
        // The layout docs/spark.md gives DuckDB's iceberg_scan and the read_parquet fallback.
        String warehouse = database.warehouse().toString();
        String tables = warehouse + "/iceberg";
        String metadata = ((HasTableOperations) table).operations().current().metadataFileLocation();
        System.err.println("IcebergLeaderboardTest: table location " + table.location());
        assertThat(localPath(metadata)).matches(java.util.regex.Pattern.quote(tables + "/quantbot/run_results/metadata/")
                + "0000[0-9]-[0-9a-f-]{36}\\.metadata\\.json");
        try (java.sql.Connection postgres = database.connect(); java.sql.Statement statement = postgres.createStatement();
                java.sql.ResultSet current = statement.executeQuery("SELECT metadata_location FROM iceberg_tables"
                        + " WHERE catalog_name = 'quantbot' AND table_namespace = 'quantbot' AND table_name = 'run_results'")) {
            assertThat(current.next()).isTrue();
            assertThat(current.getString(1)).as("the catalog's pointer to the current metadata file").isEqualTo(metadata);
        }
        // The data files are the catalog's own Parquet files, appended in place under <warehouse>/lake (never copied).
        List<ArtifactRecord> registered = new ArrayList<>(daemon.getInstance(LakeCatalog.class)
                .findActiveByTags(ArtifactTypes.RUN_RESULTS_TYPE, Map.of()));
        assertThat(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE)).extracting(IcebergLeaderboardTest::localPath)
                .hasSize(3).allMatch(file -> file.startsWith(warehouse + "/lake/"))
                .containsExactlyInAnyOrderElementsOf(registered.stream()
                        .map(artifact -> database.warehouse().resolve(artifact.path()).toString()).toList());
        System.err.println("IcebergLeaderboardTest: metadata " + metadata + ", data files " + lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE));
        log("sweeps run and published", started);

        AnalyzeSweepResponse analyzed = client.artifacts().analyzeSweep(AnalyzeSweepRequest.newBuilder().setSweepId(SWEEP).setTopN(1_000).build());
        assertThat(analyzed.getRows()).isEqualTo((long) ids.size() * CALLS);
        Map<String, List<LeaderboardRow>> expected = new HashMap<>();
        for (Leaderboard board : analyzed.getLeaderboardsList()) {
            expected.put(board.getName(), board.getRowsList());
        }
        assertThat(expected.get("by_overlay")).hasSize(4);
        assertThat(expected.get("by_scenario")).hasSize(ids.size());

        // (1) Spark, local mode, Iceberg's SparkCatalog over the same JDBC catalog.
        spark = spark();
        log("spark session", started);
        for (String board : BOARDS) {
            List<BoardRow> rows = new ArrayList<>();
            for (Row row : spark.sql(boardSql(board, TABLE + " WHERE sweep_id = '" + SWEEP + "'")).collectAsList()) {
                List<Double> q = row.isNullAt(4) ? List.of(Double.NaN, Double.NaN, Double.NaN) : row.getList(4);
                rows.add(new BoardRow(row.getString(0), row.getLong(1), row.isNullAt(2) ? Double.NaN : row.getDouble(2),
                        row.isNullAt(3) ? Double.NaN : row.getDouble(3), q.get(0), q.get(1), q.get(2)));
            }
            assertBoard("Spark " + board, rows, expected.get(board), true);
        }
        // Time travel: the first snapshot holds the first wave's file alone.
        List<String> filesAsOfFirst = spark.sql("SELECT DISTINCT _file FROM " + TABLE + " VERSION AS OF " + firstSnapshot)
                .collectAsList().stream().map(row -> row.getString(0)).toList();
        assertThat(filesAsOfFirst).containsExactlyElementsOf(filesOf(table, firstSnapshot, SWEEP)).hasSize(1);
        Row counts = spark.sql("SELECT count(*), count(DISTINCT scenario_id) FROM " + TABLE + " VERSION AS OF " + firstSnapshot).first();
        assertThat(counts.getLong(0)).isEqualTo(6L * CALLS);
        assertThat(counts.getLong(1)).isEqualTo(6L);
        // The snapshots metadata table names each snapshot's artifact (IcebergLake's summary keys).
        List<Row> snapshots = spark.sql("SELECT snapshot_id, summary['quantbot.artifact-id'] FROM " + TABLE + ".snapshots ORDER BY committed_at")
                .collectAsList();
        assertThat(snapshots).hasSize(3);
        assertThat(snapshots.get(0).getLong(0)).isEqualTo(firstSnapshot);
        assertThat(snapshots.get(0).getString(1)).isEqualTo(firstWave.get(0));
        // The files metadata table lists the current files of a sweep (what read_parquet needs without the Iceberg API).
        List<String> currentFiles = spark.sql("SELECT file_path FROM " + TABLE + ".files WHERE partition.sweep_id = '" + SWEEP + "'")
                .collectAsList().stream().map(row -> row.getString(0)).toList();
        assertThat(currentFiles).containsExactlyInAnyOrderElementsOf(sweepFiles(lake, SWEEP));
        Row now = spark.sql("SELECT count(*) FROM " + TABLE + " WHERE sweep_id = '" + SWEEP + "'").first();
        assertThat(now.getLong(0)).isEqualTo((long) ids.size() * CALLS);
        log("spark boards and time travel", started);

        // (2) DuckDB in the worker's Python over the table's current data files of the sweep.
        List<String> files = sweepFiles(lake, SWEEP);
        assertThat(files).hasSize(2);
        Map<String, List<BoardRow>> duckdb = duckDbBoards(files);
        for (String board : BOARDS) {
            assertBoard("DuckDB " + board, duckdb.get(board), expected.get(board), true);
        }
        log("duckdb boards", started);
    }

    // ------------------------------------------------------------------ the lake

    /** The daemon's own lake class on a JDBC catalog named like the daemon's, over the cluster's database and warehouse. */
    private IcebergLake lake() {
        catalog = new JdbcCatalog();
        Map<String, String> properties = new HashMap<>();
        properties.put(CatalogProperties.URI, database.url());
        properties.put("jdbc.user", database.user());
        properties.put("jdbc.password", database.password());
        properties.put("jdbc.schema-version", "V1");
        properties.put(CatalogProperties.WAREHOUSE_LOCATION, database.warehouse().resolve("iceberg").toUri().toString());
        properties.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
        catalog.initialize(CATALOG, properties);
        return new IcebergLake(catalog, new SimpleMeterRegistry());
    }

    /**
     * Waits until the daemon itself has appended every sealed run_results artifact of the sweep to
     * {@code quantbot.run_results} (its lake outbox: right after each seal's catalog commit, and every 5 s), and answers
     * their ids, oldest seal first. The test never writes to the table: it reads what the daemon published.
     */
    private List<String> awaitLake(IcebergLake lake, String sweepId) throws InterruptedException {
        List<ArtifactRecord> sealed = new ArrayList<>(daemon.getInstance(LakeCatalog.class)
                .findActiveByTags(ArtifactTypes.RUN_RESULTS_TYPE, Map.of("sweep_id", sweepId)));
        assertThat(sealed).as("sealed run_results of " + sweepId).isNotEmpty();
        java.util.Collections.reverse(sealed);
        Await.until("the daemon appends " + sweepId + "'s run_results to its Iceberg table", Duration.ofMinutes(1), () -> {
            lake.table(ArtifactTypes.RUN_RESULTS_TYPE).refresh();
            return sealed.stream().allMatch(artifact -> lake.snapshotOf(ArtifactTypes.RUN_RESULTS_TYPE, artifact.id()).isPresent());
        });
        return sealed.stream().map(ArtifactRecord::id).toList();
    }

    /** The table's current data files of one sweep (its partition), as the daemon resolves a table scan for a worker. */
    private static List<String> sweepFiles(IcebergLake lake, String sweepId) throws Exception {
        Table table = lake.table(ArtifactTypes.RUN_RESULTS_TYPE);
        List<String> files = filesOf(table, table.currentSnapshot().snapshotId(), sweepId);
        assertThat(lake.dataFiles(ArtifactTypes.RUN_RESULTS_TYPE)).containsAll(files);
        return files;
    }

    private static List<String> filesOf(Table table, long snapshotId, String sweepId) throws Exception {
        List<String> files = new ArrayList<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshotId)
                .filter(Expressions.equal("sweep_id", sweepId)).planFiles()) {
            tasks.forEach(task -> files.add(task.file().location()));
        }
        return files;
    }

    /** A file location of the lake as a local path (what LocalFileIO does: the scheme cut off, no URI decoding). */
    private static String localPath(String location) {
        return location.startsWith("file://") ? location.substring("file://".length())
                : location.startsWith("file:") ? location.substring("file:".length()) : location;
    }

    // ------------------------------------------------------------------ the sweep

    private static SweepSpec spec(String sweepId, String lags) throws Exception {
        return new SweepSpecLoader().parse("""
                sweep_id: %s
                calls: {snapshot: lake-snapshot}
                intervals: [1m]
                entry_lags: %s
                overlay_sets:
                  - {name: tp50_sl20, overlays: [{type: take_profit, pct: 50}, {type: stop_loss, pct: 20}]}
                  - {name: tr20, overlays: [{type: trailing_stop, pct: 20}]}
                  - {name: hold, overlays: []}
                  - {name: sl10, overlays: [{type: stop_loss, pct: 10}]}
                chunk_rows: 60
                parallelism: 2
                """.formatted(sweepId, lags), sweepId + ".yaml");
    }

    /** One shard of scenarios (one seal wave: one run_results artifact), as a Spark task runs it. */
    private void runShard(SweepSpec spec, List<String> scenarios) throws Exception {
        try (ScenarioLeases leases = new ScenarioLeases(client.state(), "lake-test-" + System.nanoTime(), Duration.ofSeconds(10))) {
            Artifact alerts = CallsArtifacts.resolve(client.artifacts(), spec.calls());
            SweepCalls calls = new SweepCalls(CallsArtifacts.load(client.artifacts(), alerts));
            SweepMetadata metadata = new SweepMetadata(RunnerBuild.current(), SweepMetadata.specHash(spec), "test", "test", 0,
                    spec.calls().describe(), alerts.getId(), alerts.getContentHash());
            ScenarioShard.Result result = new ScenarioShard(client, spec, alerts.getId(), metadata, calls,
                    new SdkCandleSource(client.artifacts()), leases, 2).run(scenarios);
            assertThat(result.outcomes()).hasSize(scenarios.size()).allMatch(ScenarioOutcome::succeeded);
        }
    }

    // ------------------------------------------------------------------ the readers

    /**
     * One board in Spark SQL (docs/spark.md gives the same query): AnalyzeSweep's grouping, filters and order; win rate
     * as wins / n (AnalyzeSweep averages 1.0/0.0, the same ratio); exact percentiles.
     */
    private static String boardSql(String board, String from) {
        String key = KEY_COLUMN.get(board);
        String tradeable = "tradeable AND net_return IS NOT NULL";
        return "SELECT CAST(" + key + " AS STRING) AS k,"
                + " count(*) FILTER (WHERE " + tradeable + ") AS n,"
                + " avg(net_return) FILTER (WHERE " + tradeable + ") AS mean,"
                + " CAST(count(*) FILTER (WHERE " + tradeable + " AND net_return > 0) AS DOUBLE)"
                + " / CAST(count(*) FILTER (WHERE " + tradeable + ") AS DOUBLE) AS win_rate,"
                + " percentile(net_return, array(0.05, 0.5, 0.95)) FILTER (WHERE " + tradeable + ") AS q"
                + " FROM " + from
                + " GROUP BY " + key
                + " ORDER BY mean DESC NULLS LAST, n DESC, " + key;
    }

    private SparkSession spark() {
        String prefix = "spark.sql.catalog." + CATALOG;
        return SparkSession.builder()
                .master("local[1]")
                .appName("quantbot-lake-leaderboard")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.warehouse.dir", dir.resolve("spark-warehouse").toUri().toString())
                .config(prefix, "org.apache.iceberg.spark.SparkCatalog")
                .config(prefix + ".type", "jdbc")
                .config(prefix + ".uri", database.url())
                .config(prefix + ".jdbc.user", database.user())
                .config(prefix + ".jdbc.password", database.password())
                .config(prefix + ".jdbc.schema-version", "V1")
                .config(prefix + ".warehouse", database.warehouse().resolve("iceberg").toUri().toString())
                // What docs/spark.md tells a spark-shell: Iceberg's HadoopFileIO reads the file: warehouse.
                .config(prefix + ".io-impl", "org.apache.iceberg.hadoop.HadoopFileIO")
                .getOrCreate();
    }

    /** The worker's Python (duckdb) over the data files: the same board SQL, with DuckDB's quantiles as AnalyzeSweep. */
    private Map<String, List<BoardRow>> duckDbBoards(List<String> locations) throws Exception {
        Path script = dir.resolve("lake_boards.py");
        Files.writeString(script, """
                import sys
                import duckdb

                files = sys.argv[1:]
                con = duckdb.connect()
                listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                con.execute(f"CREATE VIEW results AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
                boards = {"by_overlay": "overlay_set", "by_scenario": "scenario_id"}
                tradeable = "tradeable AND net_return IS NOT NULL"
                for board, key in boards.items():
                    rows = con.execute(f'''
                        SELECT CAST({key} AS VARCHAR), count(*) FILTER (WHERE {tradeable}) AS n,
                               avg(net_return) FILTER (WHERE {tradeable}) AS mean,
                               avg(CASE WHEN net_return > 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE {tradeable}),
                               quantile_cont(net_return, [0.05, 0.5, 0.95]) FILTER (WHERE {tradeable})
                        FROM results GROUP BY {key} ORDER BY mean DESC NULLS LAST, n DESC, {key}''').fetchall()
                    for k, n, mean, win_rate, q in rows:
                        q = q or [None, None, None]
                        cells = [board, k, str(n)] + ["NaN" if v is None else repr(float(v)) for v in (mean, win_rate, *q)]
                        print("\\t".join(cells))
                """);
        List<String> command = new ArrayList<>(List.of(TestingStorageDaemon.PYTHON.toString(), script.toString()));
        locations.forEach(location -> command.add(localPath(location)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(text).isZero();
        Map<String, List<BoardRow>> boards = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            String[] cells = line.split("\t", -1);
            assertThat(cells).as(line).hasSize(8);
            boards.computeIfAbsent(cells[0], name -> new ArrayList<>()).add(new BoardRow(cells[1], Long.parseLong(cells[2]),
                    Double.parseDouble(cells[3]), Double.parseDouble(cells[4]), Double.parseDouble(cells[5]),
                    Double.parseDouble(cells[6]), Double.parseDouble(cells[7])));
        }
        return boards;
    }

    private record BoardRow(String key, long n, double mean, double winRate, double p5, double p50, double p95) {}

    /** Same groups in the same order, same n and win rate, mean to 1e-9, percentiles to 1e-12 (when asked). */
    private static void assertBoard(String what, List<BoardRow> actual, List<LeaderboardRow> expected, boolean quantiles) {
        assertThat(actual).as(what + " groups").isNotNull();
        assertThat(actual.stream().map(BoardRow::key).toList()).as(what + " groups in AnalyzeSweep's order")
                .containsExactlyElementsOf(expected.stream().map(row -> row.getKeys(0)).toList());
        Set<String> tradeableGroups = new HashSet<>();
        for (int i = 0; i < expected.size(); i++) {
            BoardRow got = actual.get(i);
            LeaderboardRow want = expected.get(i);
            String at = what + " " + got.key();
            assertThat(got.n()).as(at + " n").isEqualTo(want.getCount());
            if (want.getCount() == 0) {
                assertThat(got.mean()).as(at + " mean").isNaN();
                continue;
            }
            tradeableGroups.add(got.key());
            assertThat(got.mean()).as(at + " mean").isCloseTo(want.getMean(), within(1e-9));
            assertThat(got.winRate()).as(at + " win rate").isEqualTo(want.getWinRate());
            if (quantiles) {
                assertThat(got.p5()).as(at + " p5").isCloseTo(want.getP5(), within(1e-12));
                assertThat(got.p50()).as(at + " p50").isCloseTo(want.getP50(), within(1e-12));
                assertThat(got.p95()).as(at + " p95").isCloseTo(want.getP95(), within(1e-12));
            }
        }
        assertThat(tradeableGroups).as(what + " groups with tradeable rows").isNotEmpty();
    }

    private static void log(String step, long started) {
        System.err.printf("IcebergLeaderboardTest: %s after %.1f s%n", step, (System.nanoTime() - started) / 1e9);
    }
}
