package io.quantbot.storage.daemon.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL while AppendRunRows streams: after a restart the acknowledged chunks are there, nothing half-written, and resending completes the run. */
class RunStreamCrashTest {
    private static final int CHUNKS = 400;
    private static final int ROWS_PER_CHUNK = 500;

    @TempDir
    Path dataDir;

    @Test
    void acknowledgedChunksSurviveSigkillMidStream() throws Exception {
        String runId;
        long acknowledgedBeforeKill;
        try (DaemonProcess daemon = DaemonProcess.start(dataDir).awaitReady(Duration.ofSeconds(60))) {
            ManagedChannel channel = daemon.channel();
            var stub = ArtifactPortGrpc.newBlockingStub(channel);
            runId = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createRun(CreateRunRequest.newBuilder().setSweepId("crash").setScenarioId("s").build()).getRun().getRunId();
            CompletableFuture<AppendRunRowsResponse> done = new CompletableFuture<>();
            StreamObserver<AppendRunRowsRequest> stream = ArtifactPortGrpc.newStub(channel).appendRunRows(new StreamObserver<>() {
                @Override
                public void onNext(AppendRunRowsResponse value) {
                    done.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    done.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {}
            });
            String id = runId;
            Thread sender = new Thread(() -> {
                try {
                    for (int seq = 1; seq <= CHUNKS && !done.isDone(); seq++) {
                        stream.onNext(AppendRunRowsRequest.newBuilder().setRunId(id).setChunkSeq(seq)
                                .setRows(RowChunks.chunk((seq - 1) * ROWS_PER_CHUNK, ROWS_PER_CHUNK)).build());
                    }
                    stream.onCompleted();
                } catch (RuntimeException ignored) {
                    // the daemon died under the stream
                }
            });
            sender.start();
            long acknowledged = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged < 20 && System.nanoTime() < deadline) {
                acknowledged = stub.withDeadlineAfter(10, TimeUnit.SECONDS).getRun(GetRunRequest.newBuilder().setRunId(id).build()).getCommittedChunkSeq();
            }
            acknowledgedBeforeKill = acknowledged;
            daemon.kill();
            sender.join(30_000);
            assertThat(acknowledgedBeforeKill).isGreaterThanOrEqualTo(20);
            assertThat(done.isDone() && !done.isCompletedExceptionally()).as("the stream must not have finished before the kill").isFalse();
        }
        try (DaemonProcess restarted = DaemonProcess.start(dataDir).awaitReady(Duration.ofSeconds(60))) {
            ManagedChannel channel = restarted.channel();
            var stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
            Run run = stub.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
            assertThat(run.getStatus()).isEqualTo(RunStatus.RUN_STATUS_RUNNING);
            assertThat(run.getCommittedChunkSeq()).isGreaterThanOrEqualTo(acknowledgedBeforeKill).isLessThan(CHUNKS);
            assertThat(run.getRowCount()).isEqualTo(run.getCommittedChunkSeq() * ROWS_PER_CHUNK);

            CompletableFuture<AppendRunRowsResponse> done = new CompletableFuture<>();
            StreamObserver<AppendRunRowsRequest> resend = ArtifactPortGrpc.newStub(channel).appendRunRows(new StreamObserver<>() {
                @Override
                public void onNext(AppendRunRowsResponse value) {
                    done.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    done.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {}
            });
            for (int seq = 1; seq <= CHUNKS; seq++) {
                resend.onNext(AppendRunRowsRequest.newBuilder().setRunId(runId).setChunkSeq(seq)
                        .setRows(RowChunks.chunk((seq - 1) * ROWS_PER_CHUNK, ROWS_PER_CHUNK)).build());
            }
            resend.onCompleted();
            AppendRunRowsResponse response = done.get(120, TimeUnit.SECONDS);
            assertThat(response.getDuplicateChunks()).isEqualTo(run.getCommittedChunkSeq());
            assertThat(response.getRunRowCount()).isEqualTo((long) CHUNKS * ROWS_PER_CHUNK);
            Run finished = stub.finishRun(FinishRunRequest.newBuilder().setRunId(runId).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build());
            assertThat(stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(finished.getResultArtifactId()).build()).getRowCount())
                    .isEqualTo((long) CHUNKS * ROWS_PER_CHUNK);
            assertThat(restarted.terminate(Duration.ofSeconds(60))).isZero();
        }
    }
}
