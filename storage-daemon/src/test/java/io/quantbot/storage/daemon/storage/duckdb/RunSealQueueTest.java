package io.quantbot.storage.daemon.storage.duckdb;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static io.quantbot.storage.daemon.testing.GrpcErrors.retryInfo;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 defect 5: the sealer's executor had an unbounded queue. Now two threads seal and runs.seal-queue seals
 * wait; one more is refused with QUEUE_FULL and a retry delay, counted, and a retried FinishRun seals the run. The
 * schedule is fixed by holding every read connection, so both sealing threads wait inside their seal.
 */
class RunSealQueueTest {
    @TempDir
    Path dir;

    @Test
    void aSealPastTheQueueIsRefusedWithQueueFullAndARetrySealsIt() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir)
                .set("runs.seal-queue", "1")
                .set("duckdb.reader-wait", "5m")
                .build()) {
            ManagedChannel channel = daemon.inProcessChannel();
            ArtifactPortGrpc.ArtifactPortBlockingStub stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
            List<String> ids = new ArrayList<>();
            for (String scenario : List.of("a", "b", "c", "d")) {
                ids.add(stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw-seal-queue").setScenarioId(scenario).setParamsJson("{}")
                        .build()).getRun().getRunId());
            }
            MeterRegistry registry = daemon.getInstance(MeterRegistry.class);

            // Every read connection is held: a seal copies its rows through one, so both sealing threads wait there.
            ReaderConnections readers = daemon.getInstance(ReaderConnections.class);
            CountDownLatch holding = new CountDownLatch(4);
            CountDownLatch release = new CountDownLatch(1);
            List<CompletableFuture<Void>> holders = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                holders.add(CompletableFuture.runAsync(() -> {
                    try {
                        readers.read(connection -> {
                            holding.countDown();
                            try {
                                release.await(2, TimeUnit.MINUTES);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return null;
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            try {
                assertThat(holding.await(60, TimeUnit.SECONDS)).isTrue();
                ArtifactPortGrpc.ArtifactPortFutureStub async = ArtifactPortGrpc.newFutureStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
                List<ListenableFuture<Run>> finishing = new ArrayList<>();
                for (String id : ids.subList(0, 3)) {
                    finishing.add(async.finishRun(finish(id)));
                }
                Await.until("two seals run and one waits", Duration.ofSeconds(60), () -> {
                    Gauge queue = registry.find("quantbot.runs.seal.queue").gauge();
                    return queue != null && queue.value() == 1;
                });

                StatusRuntimeException refused = expectError(() -> stub.finishRun(finish(ids.get(3))),
                        Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
                assertThat(refused.getStatus().getDescription()).contains("runs.seal-queue").contains("retry FinishRun");
                assertThat(retryInfo(refused)).isPresent();
                assertThat(registry.get("quantbot.runs.seal.rejected").counter().count()).isEqualTo(1.0);
                Run unsealed = stub.getRun(GetRunRequest.newBuilder().setRunId(ids.get(3)).build());
                assertThat(unsealed.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
                assertThat(unsealed.getResultArtifactId()).isEmpty();

                release.countDown();
                for (ListenableFuture<Run> future : finishing) {
                    assertThat(future.get(2, TimeUnit.MINUTES).getResultArtifactId()).startsWith("art_");
                }
            } finally {
                release.countDown();
                CompletableFuture.allOf(holders.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            }
            // The retried FinishRun (same status: nothing changes) seals the run the queue refused.
            assertThat(stub.finishRun(finish(ids.get(3))).getResultArtifactId()).startsWith("art_");
            assertThat(registry.get("quantbot.runs.seal.rejected").counter().count()).isEqualTo(1.0);
        }
    }

    private static FinishRunRequest finish(String runId) {
        return FinishRunRequest.newBuilder().setRunId(runId).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build();
    }
}
