package io.quantbot.storage.daemon.run;

import static io.quantbot.storage.daemon.testing.GrpcErrors.errorInfo;
import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.storage.ClusterRunLedger;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.RunAppends;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResponse;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Run ownership in cluster mode, with two daemons (node-a, node-b) on one PostgreSQL: a run belongs to the daemon that
 * created it; the other answers FAILED_PRECONDITION naming the owner; a run whose owner stopped renewing is declared
 * LOST and its scenario starts again under the same idempotency key; a lost run is never sealed. Skips without a test
 * PostgreSQL locally, fails under CI=true (TestPostgres).
 */
class RunLeasesClusterTest {
    private TestPostgres.Database database;
    private Path dirA;
    private Path dirB;
    private TestingStorageDaemon a;
    private TestingStorageDaemon b;

    @BeforeEach
    void start() throws Exception {
        database = TestPostgres.newDatabase();
        dirA = Files.createTempDirectory("lease-a-");
        dirB = Files.createTempDirectory("lease-b-");
        a = node("node-a", dirA);
        b = node("node-b", dirB);
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        database.close();
    }

    private TestingStorageDaemon node(String nodeId, Path dir) throws Exception {
        return database.configure(TestingStorageDaemon.builder().onDisk(dir)).set("cluster.node-id", nodeId).set("cluster.run-lease", "1s").build();
    }

    private static ArtifactPortGrpc.ArtifactPortBlockingStub stub(TestingStorageDaemon daemon) {
        return ArtifactPortGrpc.newBlockingStub(daemon.inProcessChannel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static CreateRunResponse create(TestingStorageDaemon daemon, String sweep, String scenario) {
        return stub(daemon).createRun(CreateRunRequest.newBuilder().setSweepId(sweep).setScenarioId(scenario)
                .setIdempotencyKey(sweep + "/" + scenario).build());
    }

    private static AppendRunRowsResponse append(TestingStorageDaemon daemon, String runId, long seq, int rows) throws Exception {
        return RunAppends.append(daemon.inProcessChannel(), List.of(AppendRunRowsRequest.newBuilder().setRunId(runId).setChunkSeq(seq)
                .setRows(RowChunks.chunk((int) (seq - 1) * rows, rows)).build()));
    }

    private static Run get(TestingStorageDaemon daemon, String runId) {
        return stub(daemon).getRun(GetRunRequest.newBuilder().setRunId(runId).build());
    }

    @Test
    void anotherDaemonRefusesTheOwnersRunNamingTheOwnerAndSeesItsProgress() throws Exception {
        Run run = create(a, "sw-own", "s1").getRun();
        append(a, run.getRunId(), 1, 40);

        StatusRuntimeException append = expectError(() -> append(b, run.getRunId(), 2, 40), Status.Code.FAILED_PRECONDITION, "RUN_OWNED_ELSEWHERE");
        assertThat(errorInfo(append).orElseThrow().getMetadataMap()).containsEntry("owner_node", "node-a");
        assertThat(append.getStatus().getDescription()).contains("node-a");
        expectError(() -> stub(b).finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()),
                Status.Code.FAILED_PRECONDITION, "RUN_OWNED_ELSEWHERE");
        // The same scenario through node-b while node-a holds it: refused, not a second run.
        expectError(() -> create(b, "sw-own", "s1"), Status.Code.FAILED_PRECONDITION, "RUN_OWNED_ELSEWHERE");

        assertThat(get(b, run.getRunId()).getStatus()).isEqualTo(RunStatus.RUN_STATUS_RUNNING);
        Run finished = stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build());
        assertThat(finished.getResultArtifactId()).isNotEmpty();
        // Once sealed, every daemon answers the run (and the same key gives it back, created = false).
        Run seen = get(b, run.getRunId());
        assertThat(seen.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
        assertThat(seen.getResultArtifactId()).isEqualTo(finished.getResultArtifactId());
        assertThat(seen.getRowCount()).isEqualTo(40);
        assertThat(seen.getFinishedAtMs()).as("another daemon shows the owner's finish time").isEqualTo(finished.getFinishedAtMs());
        CreateRunResponse again = create(b, "sw-own", "s1");
        assertThat(again.getCreated()).isFalse();
        assertThat(again.getRun().getRunId()).isEqualTo(run.getRunId());

        // A finished run waiting for its sweep's seal: the owner's answer (idempotency key and finish time included)
        // is what every other daemon shows.
        Run deferred = create(a, "sw-own", "s2").getRun();
        Run waiting = stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(deferred.getRunId()).setStatus(RunStatus.RUN_STATUS_FAILED)
                .setErrorMessage("boom").setSeal(SealMode.SEAL_MODE_DEFER).build());
        assertThat(waiting.getIdempotencyKey()).isNotEmpty();
        assertThat(get(b, deferred.getRunId())).isEqualTo(waiting);
        assertThat(get(a, deferred.getRunId())).isEqualTo(waiting);
    }

    @Test
    void aRunWhoseOwnerIsGoneIsLostAndItsScenarioRunsAgainOnceWithoutDuplicates() throws Exception {
        Run run = create(a, "sw-lost", "s1").getRun();
        append(a, run.getRunId(), 1, 30);
        a.close();
        a = null;

        // Before the lease expires node-b refuses; after it, the same key gives a new run there.
        List<CreateRunResponse> answers = new ArrayList<>();
        Await.until("node-a's lease to expire", Duration.ofSeconds(30), () -> {
            try {
                answers.add(create(b, "sw-lost", "s1"));
                return true;
            } catch (StatusRuntimeException e) {
                assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("RUN_OWNED_ELSEWHERE");
                return false;
            }
        });
        CreateRunResponse rerun = answers.get(0);
        assertThat(rerun.getCreated()).isTrue();
        assertThat(rerun.getRun().getRunId()).isNotEqualTo(run.getRunId());
        Run old = get(b, run.getRunId());
        assertThat(old.getStatus()).isEqualTo(RunStatus.RUN_STATUS_LOST);
        assertThat(old.getErrorMessage()).contains("node-a");

        append(b, rerun.getRun().getRunId(), 1, 30);
        Run sealed = stub(b).finishRun(FinishRunRequest.newBuilder().setRunId(rerun.getRun().getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build());
        assertThat(sealed.getResultArtifactId()).isNotEmpty();

        // node-a comes back: it drops the lost run, refuses it, and no seal of it ever appears.
        a = node("node-a", dirA);
        expectError(() -> append(a, run.getRunId(), 2, 30), Status.Code.FAILED_PRECONDITION, "RUN_LOST");
        expectError(() -> stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()),
                Status.Code.FAILED_PRECONDITION, "RUN_LOST");
        List<Artifact> seals = stub(a).listArtifacts(ListArtifactsRequest.newBuilder().setType("run_results").putTags("sweep_id", "sw-lost").build())
                .getArtifactsList();
        assertThat(seals).hasSize(1);
        assertThat(seals.get(0).getRowCount()).isEqualTo(30);
        assertThat(seals.get(0).getTagsMap()).containsEntry("run_id", rerun.getRun().getRunId());
    }

    @Test
    void aLocalRunTheClusterNeverRecordedIsKeptButNotServedAndLostRunsAreDroppedAtRestart() throws Exception {
        // A run in the local DuckDB the cluster never recorded (as a data dir from before cluster mode has): its rows
        // are acknowledged writes, so a restart keeps them; cluster mode does not serve the run.
        io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger local = a.getInstance(io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger.class);
        String unknown = local.create(new RunLedger.NewRun("sw-restart", "s1", "{}", List.of(), java.util.Map.of(), java.util.Optional.empty()))
                .get(30, TimeUnit.SECONDS).run().runId();
        Run kept = create(a, "sw-restart", "s2").getRun();
        append(a, kept.getRunId(), 1, 10);
        Run lostRun = create(a, "sw-restart", "s3").getRun();
        append(a, lostRun.getRunId(), 1, 10);
        a.close();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE runs SET lease_state = 'lost', status = 'lost' WHERE run_id = '" + lostRun.getRunId() + "'");
        }
        a = node("node-a", dirA);
        local = a.getInstance(io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger.class);
        assertThat(local.get(unknown)).as("the unrecorded run's local record").isPresent();
        expectError(() -> get(a, unknown), Status.Code.NOT_FOUND, "RUN_NOT_FOUND");
        assertThat(local.get(lostRun.getRunId())).as("the lost run's local record").isEmpty();
        assertThat(local.get(kept.getRunId())).as("a run the cluster knows as node-a's").isPresent();
        assertThat(append(a, kept.getRunId(), 2, 10).getRunRowCount()).isEqualTo(20);
    }

    @Test
    void aRunDeclaredLostWhileItsOwnerStillRunsIsNeverSealed() throws Exception {
        Run run = create(a, "sw-fence", "s1").getRun();
        append(a, run.getRunId(), 1, 20);
        // node-a is cut off from PostgreSQL longer than the lease: the cluster sees its lease as expired.
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE runs SET lease_expires_at = clock_timestamp() - interval '1 hour', owner_node = owner_node"
                    + " WHERE run_id = '" + run.getRunId() + "'");
            statement.execute("UPDATE runs SET lease_state = 'lost', status = 'lost' WHERE run_id = '" + run.getRunId() + "'");
        }
        StatusRuntimeException refused = expectError(() -> stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId())
                .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).setSeal(SealMode.SEAL_MODE_RUN).build()), Status.Code.FAILED_PRECONDITION, "RUN_LOST");
        assertThat(refused.getStatus().getDescription()).contains("idempotency key");
        assertThat(stub(b).listArtifacts(ListArtifactsRequest.newBuilder().setType("run_results").putTags("sweep_id", "sw-fence").build())
                .getArtifactsCount()).isZero();
        // Its rows are dropped on node-a, and the scenario can start again.
        assertThat(create(b, "sw-fence", "s1").getCreated()).isTrue();
    }

    @Test
    void theSealFenceRefusesASealOfARunTheDaemonNoLongerOwns() throws Exception {
        Run kept = create(a, "sw-seal-fence", "s1").getRun();
        Run lostRun = create(a, "sw-seal-fence", "s2").getRun();
        append(a, kept.getRunId(), 1, 10);
        append(a, lostRun.getRunId(), 1, 10);
        stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(lostRun.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                .setSeal(SealMode.SEAL_MODE_DEFER).build());
        // Declared lost after its finish, before the sweep's seal (node-a's renewals are paused by nothing here: the
        // change is made in PostgreSQL directly, as another daemon's reap would).
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE runs SET lease_state = 'lost', status = 'lost' WHERE run_id = '" + lostRun.getRunId() + "'");
        }
        // Either node-a's renewal noticed first (the lost run is dropped; the seal holds the other run alone) or the
        // seal's fence refuses: never a seal holding the lost run.
        try {
            stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(kept.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                    .setSeal(SealMode.SEAL_MODE_SWEEP).build());
        } catch (StatusRuntimeException e) {
            assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("RUN_LOST");
        }
        for (Artifact seal : stub(b).listArtifacts(ListArtifactsRequest.newBuilder().setType("run_results").putTags("sweep_id", "sw-seal-fence")
                .build()).getArtifactsList()) {
            assertThat(seal.getRowCount()).isEqualTo(10);
        }
        a.getInstance(ClusterRunLedger.class).renewAndReap();
        Run sealedKept = stub(a).finishRun(FinishRunRequest.newBuilder().setRunId(kept.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                .setSeal(SealMode.SEAL_MODE_SWEEP).build());
        assertThat(sealedKept.getResultArtifactId()).isNotEmpty();
        assertThat(stub(b).listArtifacts(ListArtifactsRequest.newBuilder().setType("run_results").putTags("sweep_id", "sw-seal-fence").build())
                .getArtifactsList()).extracting(Artifact::getRowCount).containsExactly(10L);
    }

    @Test
    void twoDaemonsCreatingTheSameScenarioAtOnceMakeOneRun() throws Exception {
        for (int round = 0; round < 10; round++) {
            String scenario = "s" + round;
            CompletableFuture<Object> viaA = CompletableFuture.supplyAsync(() -> outcome(() -> create(a, "sw-race", scenario)));
            CompletableFuture<Object> viaB = CompletableFuture.supplyAsync(() -> outcome(() -> create(b, "sw-race", scenario)));
            List<Object> outcomes = List.of(viaA.get(60, TimeUnit.SECONDS), viaB.get(60, TimeUnit.SECONDS));
            long created = outcomes.stream().filter(o -> o instanceof CreateRunResponse r && r.getCreated()).count();
            assertThat(created).as("round %d: %s", round, outcomes).isEqualTo(1);
            for (Object o : outcomes) {
                if (o instanceof StatusRuntimeException e) {
                    assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("RUN_OWNED_ELSEWHERE");
                }
            }
        }
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT count(*), count(DISTINCT idempotency_key) FROM runs WHERE sweep_id = 'sw-race'")) {
            rows.next();
            assertThat(rows.getLong(1)).isEqualTo(10);
            assertThat(rows.getLong(2)).isEqualTo(10);
        }
    }

    private static Object outcome(java.util.function.Supplier<CreateRunResponse> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            return e;
        }
    }
}
