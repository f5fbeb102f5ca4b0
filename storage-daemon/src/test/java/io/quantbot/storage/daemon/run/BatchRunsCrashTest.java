package io.quantbot.storage.daemon.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.BatchCreateRunsRequest;
import io.quantbot.storage.v1.BatchFinishRunsRequest;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.FinishRunResult;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.ListRunsRequest;
import io.quantbot.storage.v1.ListRunsResponse;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL while batches of CreateRun and FinishRun are acknowledged: after a restart every acknowledged item is there
 * (acknowledged means durable, per item), and sending every batch again creates no second run for a key.
 */
class BatchRunsCrashTest {
    private static final int WRITERS = 3;
    private static final int RUNS_PER_BATCH = 20;
    private static final int MIN_ACKNOWLEDGED_BATCHES = 6;
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dataDir;

    private static List<CreateRunRequest> batch(int writer, int number) {
        List<CreateRunRequest> items = new ArrayList<>();
        for (int i = 0; i < RUNS_PER_BATCH; i++) {
            String scenario = "w" + writer + "-b" + number + "-s" + i;
            items.add(CreateRunRequest.newBuilder().setSweepId("crash-batch").setScenarioId(scenario).setIdempotencyKey("crash-batch/" + scenario).build());
        }
        return items;
    }

    @Test
    void acknowledgedBatchItemsSurviveSigkillAndARetriedBatchCreatesNoSecondRun() throws Exception {
        /** Idempotency key -> run id, for every create the daemon acknowledged. */
        Map<String, String> created = new ConcurrentHashMap<>();
        /** Run ids whose finish (SUCCEEDED, DEFER) the daemon acknowledged. */
        Map<String, Boolean> finished = new ConcurrentHashMap<>();
        List<List<CreateRunRequest>> sent = java.util.Collections.synchronizedList(new ArrayList<>());
        try (DaemonProcess daemon = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = ArtifactPortGrpc.newBlockingStub(daemon.channel());
            AtomicBoolean killed = new AtomicBoolean();
            ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.submit(() -> {
                    for (int number = 0; !killed.get(); number++) {
                        List<CreateRunRequest> items = batch(writer, number);
                        sent.add(items);
                        try {
                            List<CreateRunResult> results = stub.withDeadlineAfter(20, TimeUnit.SECONDS)
                                    .batchCreateRuns(BatchCreateRunsRequest.newBuilder().addAllRequests(items).build()).getResultsList();
                            List<FinishRunRequest> finishes = new ArrayList<>();
                            for (int i = 0; i < items.size(); i++) {
                                Run run = results.get(i).getCreated().getRun();
                                created.put(items.get(i).getIdempotencyKey(), run.getRunId());
                                finishes.add(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                                        .putSummary("i", i).setSeal(SealMode.SEAL_MODE_DEFER).build());
                            }
                            List<FinishRunResult> done = stub.withDeadlineAfter(20, TimeUnit.SECONDS)
                                    .batchFinishRuns(BatchFinishRunsRequest.newBuilder().addAllRequests(finishes).build()).getResultsList();
                            for (FinishRunResult result : done) {
                                finished.put(result.getRun().getRunId(), true);
                            }
                        } catch (StatusRuntimeException e) {
                            if (killed.get()) {
                                return null; // the daemon died under us: that batch was never acknowledged
                            }
                        }
                    }
                    return null;
                });
            }
            Await.until("more than " + MIN_ACKNOWLEDGED_BATCHES + " acknowledged batches of finishes", Duration.ofMinutes(3),
                    () -> finished.size() > MIN_ACKNOWLEDGED_BATCHES * RUNS_PER_BATCH);
            killed.set(true);
            daemon.kill();
            writers.shutdown();
            assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(finished).hasSizeGreaterThan(MIN_ACKNOWLEDGED_BATCHES * RUNS_PER_BATCH);

        try (DaemonProcess restarted = DaemonProcess.start(dataDir).awaitReady(START)) {
            var stub = ArtifactPortGrpc.newBlockingStub(restarted.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
            for (Map.Entry<String, String> run : created.entrySet()) {
                Run found = stub.getRun(GetRunRequest.newBuilder().setRunId(run.getValue()).build());
                assertThat(found.getIdempotencyKey()).isEqualTo(run.getKey());
                if (finished.containsKey(run.getValue())) {
                    assertThat(found.getStatus()).as(run.getKey()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
                }
            }
            // Every batch sent (acknowledged, cut off or never answered) once more: acknowledged items are found, not
            // created again, and no key ends up with two runs.
            List<List<CreateRunRequest>> all;
            synchronized (sent) {
                all = new ArrayList<>(sent);
            }
            for (List<CreateRunRequest> items : all) {
                List<CreateRunResult> results = stub.batchCreateRuns(BatchCreateRunsRequest.newBuilder().addAllRequests(items).build()).getResultsList();
                for (int i = 0; i < items.size(); i++) {
                    String acknowledgedRun = created.get(items.get(i).getIdempotencyKey());
                    if (acknowledgedRun != null) {
                        assertThat(results.get(i).getCreated().getCreated()).isFalse();
                        assertThat(results.get(i).getCreated().getRun().getRunId()).isEqualTo(acknowledgedRun);
                    }
                }
            }
            List<Run> runs = new ArrayList<>();
            String token = "";
            do {
                ListRunsResponse page = stub.listRuns(ListRunsRequest.newBuilder().setSweepId("crash-batch").setPageSize(10_000).setPageToken(token).build());
                runs.addAll(page.getRunsList());
                token = page.getNextPageToken();
            } while (!token.isEmpty());
            assertThat(runs).hasSize(all.size() * RUNS_PER_BATCH);
            assertThat(runs.stream().map(Run::getIdempotencyKey).distinct().count()).isEqualTo(runs.size());
            assertThat(restarted.terminate(Duration.ofSeconds(60))).isZero();
        }
    }
}
