package io.quantbot.storage.daemon.batch;

import static io.quantbot.storage.daemon.testing.GrpcErrors.badRequest;
import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static io.quantbot.storage.daemon.testing.Uploads.data;
import static io.quantbot.storage.daemon.testing.Uploads.file;
import static io.quantbot.storage.daemon.testing.Uploads.header;
import static io.quantbot.storage.daemon.testing.Uploads.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.daemon.testing.Uploads;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ImportSnapshotResponse;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.UploadSnapshotRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * UploadSnapshot through a real daemon with real Python workers: a folder from the client's machine is
 * staged, checked file by file and imported as ImportSnapshot would; every bad or broken upload
 * registers nothing and leaves nothing in staging.
 */
@Tag("python")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotUploadTest {
    private static final Path TINY = Path.of("..", "sweep-runner", "examples", "tiny-snapshot").toAbsolutePath().normalize();

    private TestingStorageDaemon daemon;
    private ManagedChannel channel;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;
    private Path uploads;
    private Path leftover;

    @BeforeAll
    void start() throws Exception {
        Path data = Files.createTempDirectory("uploads-");
        // What a crash mid-upload leaves: removed when the storage starts, nothing imported from it.
        leftover = data.resolve("staging/uploads/5b0c5ab1-crashed/calls/calls.csv");
        Files.createDirectories(leftover.getParent());
        Files.writeString(leftover, "call_id,caller,token,chain,ts,price\n");
        daemon = TestingStorageDaemon.builder().onDisk(data)
                .set("python-worker.pool-size", "1")
                .set("uploads.max-bytes", "64KiB")
                .set("uploads.max-files", "8")
                .set("uploads.max-concurrent", "2")
                .build();
        channel = daemon.loopbackChannel();
        stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        uploads = data.resolve("staging/uploads");
    }

    @AfterAll
    void stop() {
        daemon.close();
        daemon.deleteDataDir();
    }

    @Test
    void aCrashedUploadIsRemovedAtStart() {
        assertThat(leftover).doesNotExist();
        assertThat(leftover.getParent().getParent()).doesNotExist();
    }

    @Test
    void uploadsTheTinySnapshotAndAReuploadDeduplicates() throws Exception {
        List<Uploads.Entry> files = tinySnapshot();
        ImportSnapshotResponse first = Uploads.send(channel, Uploads.messages("tiny-up", files, Map.of("source", "upload-test"), false));
        assertThat(first.getFiles()).isEqualTo(3);
        assertThat(first.getCandleRows()).isEqualTo(countDataRows(files, "candles/"));
        assertThat(first.getCallRows()).isEqualTo(2);
        assertThat(first.getArtifactsList()).extracting(Artifact::getLogicalKey)
                .contains("snapshot=tiny-up/alerts")
                .hasSize(3);
        assertThat(first.getArtifactsList()).allSatisfy(artifact -> assertThat(artifact.getTagsMap())
                .containsEntry("snapshot", "tiny-up").containsEntry("source", "upload-test"));
        assertThat(first.getDeduped()).isZero();
        assertUploadsEmpty();

        ImportSnapshotResponse again = Uploads.send(channel, Uploads.messages("tiny-up", files, Map.of("source", "upload-test"), false));
        assertThat(again.getDeduped()).isEqualTo(3);
        assertThat(again.getArtifactsList()).extracting(Artifact::getId)
                .containsExactlyInAnyOrderElementsOf(first.getArtifactsList().stream().map(Artifact::getId).toList());
        assertUploadsEmpty();
    }

    @Test
    void aDryRunChecksAndRegistersNothing() throws Exception {
        ImportSnapshotResponse checked = Uploads.send(channel, Uploads.messages("tiny-dry", tinySnapshot(), Map.of(), true));
        assertThat(checked.getFiles()).isEqualTo(3);
        assertThat(snapshotArtifacts("tiny-dry")).isEmpty();
        assertUploadsEmpty();
    }

    @Test
    void twoClientsUploadingTheSameSnapshotAtOnceEndWithOneSetOfArtifacts() throws Exception {
        List<UploadSnapshotRequest> messages = Uploads.messages("tiny-race", tinySnapshot(), Map.of(), false);
        CompletableFuture<ImportSnapshotResponse> a = CompletableFuture.supplyAsync(() -> Uploads.send(channel, messages));
        CompletableFuture<ImportSnapshotResponse> b = CompletableFuture.supplyAsync(() -> Uploads.send(channel, messages));
        List<String> idsA = a.get(120, TimeUnit.SECONDS).getArtifactsList().stream().map(Artifact::getId).sorted().toList();
        List<String> idsB = b.get(120, TimeUnit.SECONDS).getArtifactsList().stream().map(Artifact::getId).sorted().toList();
        assertThat(idsA).hasSize(3).isEqualTo(idsB);
        assertThat(snapshotArtifacts("tiny-race")).hasSize(3);
        assertUploadsEmpty();
    }

    @Test
    void aFileWhoseBytesDoNotMatchItsHashIsRefusedAndNothingIsImported() throws Exception {
        byte[] calls = read("calls/calls.csv");
        byte[] other = calls.clone();
        other[other.length - 2] ^= 1;
        StatusRuntimeException failure = expectError(() -> Uploads.send(channel, List.of(
                header("bad-hash", 1, calls.length), file("calls.csv", calls.length, sha256(other)), data(calls))),
                Status.Code.INVALID_ARGUMENT, "INVALID_INPUT_DATA");
        assertThat(failure.getStatus().getDescription()).contains("calls.csv", "SHA-256");
        assertThat(badRequest(failure).orElseThrow().getFieldViolations(0).getField()).isEqualTo("file.sha256");
        assertThat(snapshotArtifacts("bad-hash")).isEmpty();
        assertUploadsEmpty();
    }

    @Test
    void sizesThatDoNotAddUpAreRefused() throws Exception {
        byte[] calls = read("calls/calls.csv");
        byte[] half = Arrays.copyOf(calls, calls.length / 2);
        // Fewer bytes than declared (a truncated read or a cut stream).
        StatusRuntimeException shorter = expectError(() -> Uploads.send(channel, List.of(
                header("short", 1, calls.length), file("calls.csv", calls.length, sha256(calls)), data(half))),
                Status.Code.INVALID_ARGUMENT, "INVALID_INPUT_DATA");
        assertThat(shorter.getStatus().getDescription()).contains("declared size");
        // More bytes than declared: refused as they arrive, before they are written.
        expectError(() -> Uploads.send(channel, List.of(
                header("long", 1, calls.length), file("calls.csv", half.length, sha256(half)), data(calls))),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        // The header's totals must match what the stream carries.
        expectError(() -> Uploads.send(channel, List.of(
                header("count", 2, calls.length), file("calls.csv", calls.length, sha256(calls)), data(calls))),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(
                header("bytes", 1, calls.length + 10), file("calls.csv", calls.length, sha256(calls)), data(calls))),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(header("none", 0, 0))), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        assertUploadsEmpty();
    }

    @Test
    void aHeaderTheImportWouldRefuseIsRefusedBeforeAnyByteIsStagedAndCounted() throws Exception {
        double failedBefore = failedUploads();
        for (String name : java.util.List.of("a b", "-leading-dash", "../x", "snap/shot", "x".repeat(101))) {
            // The header alone: refused for its name, not later for the file the stream never carried.
            StatusRuntimeException refused = expectError(() -> Uploads.send(channel, java.util.List.of(header(name, 1, 10))),
                    Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
            assertThat(refused.getStatus().getDescription()).contains("snapshot_name");
        }
        expectError(() -> Uploads.send(channel, java.util.List.of(header("big", 1, 65 * 1024))), Status.Code.RESOURCE_EXHAUSTED,
                "REQUEST_TOO_LARGE");
        // Every refused header is a failed upload in quantbot_snapshot_uploads_total{outcome="failed"}.
        Await.until("the refusals are counted", Duration.ofSeconds(10), () -> failedUploads() >= failedBefore + 6);
        assertThat(failedUploads()).isEqualTo(failedBefore + 6);
        assertUploadsEmpty();
    }

    private double failedUploads() {
        return daemon.getInstance(io.micrometer.core.instrument.MeterRegistry.class).get("quantbot.snapshot_uploads").tag("outcome", "failed")
                .counter().count();
    }

    @Test
    void messagesOutOfOrderAreRefused() throws Exception {
        byte[] calls = read("calls/calls.csv");
        expectError(() -> Uploads.send(channel, List.of(file("calls.csv", calls.length, sha256(calls)))), Status.Code.INVALID_ARGUMENT,
                "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(header("order", 1, calls.length), data(calls))), Status.Code.INVALID_ARGUMENT,
                "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(header("order", 1, calls.length), header("order", 1, calls.length))),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(UploadSnapshotRequest.getDefaultInstance())), Status.Code.INVALID_ARGUMENT,
                "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(header("short-hash", 1, calls.length), file("calls.csv", calls.length, new byte[5]))),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        assertUploadsEmpty();
    }

    @Test
    void aFileSentTwiceOrClashingWithAFolderIsRefused() throws Exception {
        byte[] calls = read("calls/calls.csv");
        expectError(() -> Uploads.send(channel, List.of(header("twice", 2, 2L * calls.length),
                file("calls.csv", calls.length, sha256(calls)), data(calls),
                file("calls.csv", calls.length, sha256(calls)), data(calls))), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(header("clash", 2, 2L * calls.length),
                file("calls", calls.length, sha256(calls)), data(calls),
                file("calls/calls.csv", calls.length, sha256(calls)), data(calls))), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> Uploads.send(channel, List.of(header("clash2", 2, 2L * calls.length),
                file("calls/calls.csv", calls.length, sha256(calls)), data(calls),
                file("calls", calls.length, sha256(calls)), data(calls))), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        assertUploadsEmpty();
    }

    @Test
    void uploadsOverTheLimitsAreRefusedBeforeTheirData() throws Exception {
        StatusRuntimeException tooBig = expectError(() -> Uploads.send(channel, List.of(header("big", 1, 65 * 1024))),
                Status.Code.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE");
        assertThat(tooBig.getStatus().getDescription()).contains("uploads.max-bytes");
        expectError(() -> Uploads.send(channel, List.of(header("many", 9, 9))), Status.Code.RESOURCE_EXHAUSTED, "REQUEST_TOO_LARGE");
        assertUploadsEmpty();
    }

    @Test
    void badContentFailsTheImportWithTheFileAndRowAndLeavesNothing() throws Exception {
        byte[] calls = "call_id,caller,token,chain,ts,price\ncall-1,alice,TinyTokenAAA,solana,not-a-time,1.0\n".getBytes(StandardCharsets.UTF_8);
        StatusRuntimeException failure = expectError(() -> Uploads.send(channel,
                Uploads.messages("bad-rows", List.of(new Uploads.Entry("calls/calls.csv", calls)), Map.of(), false)),
                Status.Code.INVALID_ARGUMENT, "INVALID_INPUT_DATA");
        assertThat(failure.getStatus().getDescription() + badRequest(failure).orElseThrow()).contains("calls/calls.csv");
        assertThat(snapshotArtifacts("bad-rows")).isEmpty();
        assertUploadsEmpty();
    }

    @Test
    void aClientThatGoesAwayMidUploadLeavesNothingAndFreesItsSlot() throws Exception {
        byte[] calls = read("calls/calls.csv");
        List<ClientCallStreamObserver<UploadSnapshotRequest>> open = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ClientCallStreamObserver<UploadSnapshotRequest> stream =
                    (ClientCallStreamObserver<UploadSnapshotRequest>) Uploads.open(channel, new CompletableFuture<>());
            stream.onNext(header("gone-" + i, 1, calls.length));
            stream.onNext(file("calls.csv", calls.length, sha256(calls)));
            stream.onNext(data(Arrays.copyOf(calls, 10)));
            open.add(stream);
        }
        Await.until("both uploads staged a partial file", Duration.ofSeconds(60), () -> partialFiles() == 2);
        // Both slots are taken (uploads.max-concurrent = 2): a third upload is turned away at once, to retry.
        expectError(() -> Uploads.send(channel, Uploads.messages("third", tinySnapshot(), Map.of(), true)),
                Status.Code.RESOURCE_EXHAUSTED, "QUEUE_FULL");
        open.forEach(stream -> stream.cancel("the client went away", null));
        Await.until("the cancelled uploads' folders are removed", Duration.ofSeconds(60), () -> folders() == 0);
        // The slots are free again.
        assertThat(Uploads.send(channel, Uploads.messages("after-cancel", tinySnapshot(), Map.of(), true)).getFiles()).isEqualTo(3);
        assertThat(snapshotArtifacts("gone-0")).isEmpty();
    }

    private List<Artifact> snapshotArtifacts(String snapshot) {
        return stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", snapshot).setPageSize(100).build()).getArtifactsList();
    }

    private void assertUploadsEmpty() throws InterruptedException {
        // The folder is removed as the call ends; the answer may reach the client a moment before.
        Await.until("staging/uploads is empty", Duration.ofSeconds(30), () -> folders() == 0);
    }

    private long folders() {
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        try (Stream<Path> entries = Files.list(uploads)) {
            return entries.count();
        } catch (IOException e) {
            return -1;
        }
    }

    private long partialFiles() {
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        try (Stream<Path> entries = Files.walk(uploads)) {
            return entries.filter(Files::isRegularFile).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    private static List<Uploads.Entry> tinySnapshot() throws IOException {
        List<Uploads.Entry> entries = new ArrayList<>();
        try (Stream<Path> files = Files.walk(TINY)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                entries.add(new Uploads.Entry(TINY.relativize(file).toString(), Files.readAllBytes(file)));
            }
        }
        assertThat(entries).hasSize(3);
        return entries;
    }

    private static byte[] read(String path) throws IOException {
        return Files.readAllBytes(TINY.resolve(path));
    }

    private static long countDataRows(List<Uploads.Entry> entries, String prefix) {
        return entries.stream().filter(entry -> entry.path().startsWith(prefix))
                .mapToLong(entry -> new String(entry.content(), StandardCharsets.UTF_8).strip().lines().count() - 1)
                .sum();
    }

}
