package io.quantbot.storage.client;

import static io.quantbot.storage.client.ArtifactClientTest.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.ErrorReason;
import io.quantbot.storage.v1.RowChunk;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RunRowsWriterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestingServer server;
    private QuantbotStorageClient client;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
        client = server.clientBuilder().build();
        server.artifacts.addRun("run-1", "sweep-1");
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void chunksAreNumberedFromOne() {
        AppendRunRowsResponse response;
        try (RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1")) {
            assertThat(writer.runId()).isEqualTo("run-1");
            for (int chunk = 1; chunk <= 5; chunk++) {
                assertThat(writer.write(rows(chunk))).isEqualTo(chunk);
            }
            assertThat(writer.nextChunkSeq()).isEqualTo(6);
            response = writer.finish();
        }

        assertThat(server.artifacts.receivedChunkSeqs).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(response.getChunksCommitted()).isEqualTo(5);
        assertThat(response.getRowsCommitted()).isEqualTo(15);
        assertThat(response.getCommittedChunkSeq()).isEqualTo(5);
        assertThat(server.artifacts.cancelledStreams).hasValue(0);
    }

    @Test
    void writeBlocksWhileTheDaemonIsNotReadyForMore() throws Exception {
        server.artifacts.manualFlowControl();
        RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1");
        Polling.await(() -> !server.artifacts.appendStreams.isEmpty(), WAIT, "the stream to reach the fake");

        CompletableFuture<AppendRunRowsResponse> producer = new CompletableFuture<>();
        Thread producerThread = new Thread(() -> {
            try {
                for (int chunk = 0; chunk < 10; chunk++) {
                    writer.write(rows(2));
                }
                producer.complete(writer.finish());
            } catch (Throwable t) {
                producer.completeExceptionally(t);
            }
        }, "producer");
        producerThread.setDaemon(true);
        producerThread.start();

        // Wait until the producer blocks (parked in write, or in finish had it written everything: a bug the
        // assertions below then catch), not for a time.
        Polling.await(() -> blocked(producerThread), WAIT, "the producer to block");
        assertThat(writer.chunksWritten()).isZero();
        assertThat(producer).isNotDone();

        server.artifacts.allowChunks(3);
        Polling.await(() -> server.artifacts.receivedChunkSeqs.size() == 3, WAIT, "three chunks");
        Polling.await(() -> blocked(producerThread), WAIT, "the producer to block again");
        // Nothing beyond what the daemon asked for was handed to gRPC: no unbounded buffering.
        assertThat(writer.chunksWritten()).isEqualTo(3);
        assertThat(producer).isNotDone();

        server.artifacts.allowChunks(7);
        AppendRunRowsResponse response = producer.get(10, TimeUnit.SECONDS);

        assertThat(server.artifacts.receivedChunkSeqs).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 10).mapToObj(Long::valueOf).toList());
        assertThat(response.getChunksCommitted()).isEqualTo(10);
        assertThat(response.getRowsCommitted()).isEqualTo(20);
    }

    @Test
    void resumeSendsOnlyTheChunksAfterTheCommittedOne() throws Exception {
        List<RowChunk> chunks = List.of(rows(1), rows(1), rows(1), rows(1), rows(1));
        // A first attempt that got two chunks committed and then broke.
        RunRowsWriter broken = client.artifacts().newRunRowsWriter("run-1");
        broken.write(chunks.get(0));
        broken.write(chunks.get(1));
        Polling.await(() -> server.artifacts.run("run-1").getCommittedChunkSeq() == 2, WAIT, "two committed chunks");
        broken.close();
        Polling.await(() -> server.artifacts.cancelledStreams.get() == 1, WAIT, "the cancelled stream");

        AppendRunRowsResponse resumed = client.artifacts().resumeRunRows("run-1", chunks);

        assertThat(server.artifacts.receivedChunkSeqs).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(resumed.getCommittedChunkSeq()).isEqualTo(5);
        assertThat(resumed.getRunRowCount()).isEqualTo(5);

        // Resuming a complete upload re-sends only the last chunk, which the daemon ignores.
        AppendRunRowsResponse again = client.artifacts().resumeRunRows("run-1", chunks);
        assertThat(again.getDuplicateChunks()).isEqualTo(1);
        assertThat(again.getChunksCommitted()).isZero();
        assertThat(again.getRunRowCount()).isEqualTo(5);
    }

    @Test
    void resendingFromOneIsHarmless() {
        List<RowChunk> chunks = List.of(rows(2), rows(2), rows(2));
        client.artifacts().appendRunRows("run-1", chunks.subList(0, 2));

        AppendRunRowsResponse response = client.artifacts().appendRunRows("run-1", chunks);

        assertThat(response.getDuplicateChunks()).isEqualTo(2);
        assertThat(response.getChunksCommitted()).isEqualTo(1);
        assertThat(response.getRunRowCount()).isEqualTo(6);
    }

    @Test
    void writerCanStartAtAGivenSequence() {
        client.artifacts().appendRunRows("run-1", List.of(rows(1), rows(1)));

        try (RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1", 3)) {
            assertThat(writer.write(rows(1))).isEqualTo(3);
            assertThat(writer.finish().getCommittedChunkSeq()).isEqualTo(3);
        }
    }

    @Test
    void aRejectedChunkFailsTheWriter() {
        server.artifacts.rejectChunk(2);

        try (RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1")) {
            writer.write(rows(1));
            writer.write(rows(1));
            assertThatThrownBy(() -> {
                // The failure arrives asynchronously: a later write or finish() reports it.
                for (int chunk = 0; chunk < 1_000; chunk++) {
                    writer.write(rows(1));
                }
                writer.finish();
            }).isInstanceOfSatisfying(InvalidArgumentException.class,
                    failure -> assertThat(failure.errorReason()).isEqualTo(ErrorReason.ERROR_REASON_INVALID_ROWS));
        }
        assertThat(server.artifacts.run("run-1").getCommittedChunkSeq()).isEqualTo(1);
    }

    @Test
    void aGapIsReportedAsFailedPrecondition() {
        try (RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1", 4)) {
            writer.write(rows(1));
            assertThatThrownBy(writer::finish)
                    .isInstanceOfSatisfying(FailedPreconditionException.class,
                            failure -> assertThat(failure.reason()).isEqualTo("CHUNK_OUT_OF_ORDER"));
        }
    }

    @Test
    void closeWithoutFinishCancelsTheStream() throws Exception {
        try (RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1")) {
            writer.write(rows(1));
            Polling.await(() -> server.artifacts.receivedChunkSeqs.size() == 1, WAIT, "the first chunk");
        }

        Polling.await(() -> server.artifacts.cancelledStreams.get() == 1, WAIT, "the cancellation");
        assertThat(server.artifacts.run("run-1").getCommittedChunkSeq()).isEqualTo(1);
    }

    @Test
    void writingAfterFinishIsAnError() {
        RunRowsWriter writer = client.artifacts().newRunRowsWriter("run-1");
        writer.write(rows(1));
        writer.finish();

        assertThatThrownBy(() -> writer.write(rows(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unknownRunIsNotFound() {
        assertThatThrownBy(() -> client.artifacts().appendRunRows("missing", List.of(rows(1))))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.artifacts().resumeRunRows("missing", List.of(rows(1))))
                .isInstanceOf(NotFoundException.class);
    }

    private static boolean blocked(Thread thread) {
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }
}
