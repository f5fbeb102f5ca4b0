package io.quantbot.storage.daemon.artifact;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures;
import io.quantbot.storage.daemon.storage.duckdb.LakeFixtures.Candle;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.RowChunks;
import io.quantbot.storage.daemon.testing.RunAppends;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.ArtifactStatus;
import io.quantbot.storage.v1.BatchGetArtifactsRequest;
import io.quantbot.storage.v1.BatchGetArtifactsResponse;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FindByLogicalKeyRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetArtifactRequest;
import io.quantbot.storage.v1.GetLineageRequest;
import io.quantbot.storage.v1.GetLineageResponse;
import io.quantbot.storage.v1.LineageDirection;
import io.quantbot.storage.v1.LineageEdge;
import io.quantbot.storage.v1.ListArtifactsRequest;
import io.quantbot.storage.v1.ListArtifactsResponse;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SupersedeRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The catalog RPCs over a real port: get, batch get, list with filters and paging, logical keys, lineage both ways, supersede, dedup. 
 * The contract of every storage engine: run against each one by a subclass (see EngineUnderTest).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CatalogContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract EngineUnderTest engine();

    private static final long T0 = 1_767_225_600_000L;

    private TestingStorageDaemon daemon;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;

    @BeforeAll
    void start() throws Exception {
        daemon = engine().configure(TestingStorageDaemon.builder()).onDisk(Files.createTempDirectory("catalog-")).build();
        stub = ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterAll
    void stop() {
        daemon.close();
        daemon.deleteDataDir();
    }

    private Registration publish(String snapshot, String token, List<Candle> candles) throws Exception {
        return LakeFixtures.publishCandles(daemon, snapshot, token, "solana", "1m", candles);
    }

    @Test
    void publishingTheSameContentTwiceIsDeduplicated() throws Exception {
        List<Candle> candles = LakeFixtures.minuteCandles(T0, 50);
        Registration first = publish("dedup", "Dedup1111111111111111111111111111111111111", candles);
        Registration sameBytes = publish("dedup", "Dedup1111111111111111111111111111111111111", candles);
        List<Candle> reversed = new ArrayList<>(candles);
        java.util.Collections.reverse(reversed);
        Registration sameRows = publish("dedup", "Dedup1111111111111111111111111111111111111", reversed);
        assertThat(first.deduped()).isFalse();
        assertThat(sameBytes.deduped()).isTrue();
        assertThat(sameBytes.artifact().id()).isEqualTo(first.artifact().id());
        assertThat(sameRows.deduped()).isTrue();
        assertThat(sameRows.artifact().id()).isEqualTo(first.artifact().id());
        Registration changed = publish("dedup", "Dedup1111111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 51));
        assertThat(changed.deduped()).isFalse();
        assertThat(changed.artifact().contentHash()).isNotEqualTo(first.artifact().contentHash());

        Artifact artifact = stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(first.artifact().id()).build());
        assertThat(artifact.getType()).isEqualTo("ohlcv_slice");
        assertThat(artifact.getStatus()).isEqualTo(ArtifactStatus.ARTIFACT_STATUS_ACTIVE);
        assertThat(artifact.getRowCount()).isEqualTo(50);
        assertThat(artifact.getMinTsMs()).isEqualTo(T0);
        assertThat(artifact.getMaxTsMs()).isEqualTo(T0 + 49 * 60_000L);
        assertThat(artifact.getColumnsList()).extracting(c -> c.getName()).startsWith("token", "chain", "interval", "ts");
        assertThat(artifact.getPath()).startsWith("lake/ohlcv_slice/v1/").endsWith(".parquet").contains("__ch=" + artifact.getContentHash().substring(0, 8));
        // The engine says where its lake is (the node's data dir, or the cluster's warehouse); paths are relative to it.
        Path file = Path.of(daemon.getInstance(LakeCatalog.class).location(daemon.getInstance(LakeCatalog.class).get(artifact.getId()).orElseThrow()).uri());
        assertThat(file).exists().endsWith(Path.of(artifact.getPath()));
        Path lakeRoot = file.getRoot().resolve(file.subpath(0, file.getNameCount() - Path.of(artifact.getPath()).getNameCount()));
        String sidecar = Files.readString(lakeRoot.resolve(artifact.getSidecarPath()));
        assertThat(sidecar).contains("\"id\" : \"" + artifact.getId() + "\"").contains(artifact.getContentHash()).contains(artifact.getFileHash());
        // Only one file per distinct content in the lake.
        try (var files = Files.list(file.getParent())) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("snapshot=dedup") && f.toString().endsWith(".parquet")).count()).isEqualTo(2);
        }
    }

    @Test
    void getAndBatchGetKeepOrderAndFlagMissingIds() throws Exception {
        String a = publish("batch", "BatchA111111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 3)).artifact().id();
        String b = publish("batch", "BatchB111111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 4)).artifact().id();
        BatchGetArtifactsResponse response = stub.batchGetArtifacts(BatchGetArtifactsRequest.newBuilder()
                .addArtifactIds(b).addArtifactIds("art_missing").addArtifactIds(a).build());
        assertThat(response.getResultsList()).extracting(r -> r.getArtifactId() + "=" + r.getFound()).containsExactly(b + "=true", "art_missing=false", a + "=true");
        assertThat(response.getResults(0).getArtifact().getRowCount()).isEqualTo(4);
        expectError(() -> stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId("art_missing").build()), Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");
        expectError(() -> stub.getArtifact(GetArtifactRequest.newBuilder().build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @Test
    void listFiltersAndPagesNewestFirst() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(publish("list", "List" + i + "11111111111111111111111111111111111", LakeFixtures.minuteCandles(T0 + i * 86_400_000L, 5)).artifact().id());
        }
        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            ListArtifactsResponse page = stub.listArtifacts(ListArtifactsRequest.newBuilder().setType("ohlcv_slice").putTags("snapshot", "list")
                    .setPageSize(3).setPageToken(token).build());
            page.getArtifactsList().forEach(artifact -> seen.add(artifact.getId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        List<String> newestFirst = new ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);
        assertThat(seen).containsExactlyElementsOf(newestFirst);

        ListArtifactsResponse inRange = stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "list")
                .setFromMs(T0 + 2 * 86_400_000L).setToMs(T0 + 4 * 86_400_000L).build());
        assertThat(inRange.getArtifactsList()).extracting(Artifact::getId).containsExactly(ids.get(3), ids.get(2));
        assertThat(stub.listArtifacts(ListArtifactsRequest.newBuilder().setType("alerts").build()).getArtifactsCount()).isZero();
        assertThat(stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "list").putTags("token", "List" + 3 + "11111111111111111111111111111111111").build())
                .getArtifactsList()).extracting(Artifact::getId).containsExactly(ids.get(3));
        String firstToken = stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "list").setPageSize(2).build()).getNextPageToken();
        expectError(() -> stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "other").setPageToken(firstToken).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
        expectError(() -> stub.listArtifacts(ListArtifactsRequest.newBuilder().setFromMs(10).setToMs(5).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_TIME_RANGE");
    }

    /**
     * Tags at their limits (a 128-character key, a 1024-character value) of characters that take 4 bytes each and do
     * not compress are stored and found by tag on every engine: no index entry limit of an engine refuses them.
     */
    @Test
    void tagsAtTheirLimitsOfWideCharactersAreStoredAndFound() throws Exception {
        java.util.Random random = new java.util.Random(13);
        StringBuilder value = new StringBuilder();
        while (value.codePointCount(0, value.length()) < 1024) {
            value.appendCodePoint(0x20000 + random.nextInt(0xA000)); // CJK Extension B: 4 bytes each in UTF-8
        }
        StringBuilder key = new StringBuilder();
        while (key.codePointCount(0, key.length()) < 128) {
            key.appendCodePoint(0x20000 + random.nextInt(0xA000));
        }
        io.quantbot.storage.daemon.artifact.StagedArtifact staged = LakeFixtures.stageCandles(daemon, "wide", "Wide1111111111111111111111111111111111111",
                "solana", "1m", LakeFixtures.minuteCandles(T0, 5)).withMetadata(Map.of(key.toString(), value.toString()), List.of(),
                new io.quantbot.storage.daemon.artifact.Provenance("test", "1", "{}"), false);
        String id = daemon.getInstance(LakeCatalog.class).register(staged).join().artifact().id();
        ListArtifactsResponse found = stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags(key.toString(), value.toString()).build());
        assertThat(found.getArtifactsList()).extracting(Artifact::getId).containsExactly(id);
        assertThat(found.getArtifacts(0).getTagsMap()).containsEntry(key.toString(), value.toString());
        assertThat(stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags(key.toString(), value.substring(0, value.length() - 2)).build())
                .getArtifactsCount()).isZero();
    }

    /** The page bound is an id: an artifact retired between two pages drops out, and no other is repeated or skipped. */
    @Test
    void pagesStayExactWhenAnArtifactIsRetiredBetweenThem() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(publish("paging", "Paging" + i + "111111111111111111111111111111111", LakeFixtures.minuteCandles(T0 + i * 60_000L, 3)).artifact().id());
        }
        java.util.Collections.reverse(ids);
        // Without a type the id index serves the listing (with a type and a tag, the tag index does).
        ListArtifactsResponse first = stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "paging").setPageSize(2).build());
        assertThat(first.getArtifactsList()).extracting(Artifact::getId).containsExactly(ids.get(0), ids.get(1));
        stub.supersede(SupersedeRequest.newBuilder().setArtifactId(ids.get(2)).setReason("retired between pages").build());
        List<String> rest = new ArrayList<>();
        String token = first.getNextPageToken();
        while (!token.isEmpty()) {
            ListArtifactsResponse page = stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "paging").setPageSize(2)
                    .setPageToken(token).build());
            assertThat(page.getArtifactsCount()).isBetween(1, 2);
            page.getArtifactsList().forEach(artifact -> rest.add(artifact.getId()));
            token = page.getNextPageToken();
        }
        assertThat(rest).containsExactly(ids.get(3), ids.get(4), ids.get(5));
        // The same through the tag index (type and tag), and a page size of one.
        List<String> typed = new ArrayList<>();
        token = "";
        do {
            ListArtifactsResponse page = stub.listArtifacts(ListArtifactsRequest.newBuilder().setType("ohlcv_slice").putTags("snapshot", "paging")
                    .setPageSize(1).setPageToken(token).build());
            page.getArtifactsList().forEach(artifact -> typed.add(artifact.getId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertThat(typed).containsExactly(ids.get(0), ids.get(1), ids.get(3), ids.get(4), ids.get(5));
    }

    /** Downstream lineage of a wide fan-out: one level, every output found, each edge once. */
    @Test
    void lineageOfAWideFanOutIsOneLevel() throws Exception {
        String candles = publish("fanout", "Fanout111111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 5)).artifact().id();
        List<String> outputs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            outputs.add(sealRun("sw-fanout-" + i, List.of(candles)));
        }
        GetLineageResponse down = stub.getLineage(GetLineageRequest.newBuilder().setArtifactId(candles)
                .setDirection(LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM).setMaxDepth(1).build());
        assertThat(down.getArtifactsList()).extracting(Artifact::getId).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(java.util.stream.Stream.of(candles), outputs.stream()).toList());
        assertThat(down.getEdgesList()).hasSize(3).allSatisfy(edge -> assertThat(edge.getInputId()).isEqualTo(candles));
    }

    @Test
    void lineageUpstreamAndDownstreamAndSupersede() throws Exception {
        String candles = publish("lineage", "Lineage1111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 10)).artifact().id();
        String first = sealRun("sw-lineage", List.of(candles));
        String second = sealRun("sw-lineage-2", List.of(first));

        GetLineageResponse up = stub.getLineage(GetLineageRequest.newBuilder().setArtifactId(second).setDirection(LineageDirection.LINEAGE_DIRECTION_UPSTREAM).build());
        assertThat(up.getArtifactsList()).extracting(Artifact::getId).containsExactly(second, first, candles);
        assertThat(up.getEdgesList()).extracting(e -> e.getInputId() + ">" + e.getOutputId()).containsExactly(first + ">" + second, candles + ">" + first);
        GetLineageResponse down = stub.getLineage(GetLineageRequest.newBuilder().setArtifactId(candles).setDirection(LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM).build());
        assertThat(down.getArtifactsList()).extracting(Artifact::getId).containsExactly(candles, first, second);
        GetLineageResponse oneStep = stub.getLineage(GetLineageRequest.newBuilder().setArtifactId(candles).setDirection(LineageDirection.LINEAGE_DIRECTION_DOWNSTREAM).setMaxDepth(1).build());
        assertThat(oneStep.getArtifactsList()).extracting(Artifact::getId).containsExactly(candles, first);
        GetLineageResponse both = stub.getLineage(GetLineageRequest.newBuilder().setArtifactId(first).build());
        assertThat(both.getArtifactsList()).extracting(Artifact::getId).containsExactlyInAnyOrder(first, candles, second);
        assertThat(both.getEdgesList()).extracting(LineageEdge::getInputId).containsExactlyInAnyOrder(candles, first);
        expectError(() -> stub.getLineage(GetLineageRequest.newBuilder().setArtifactId("art_missing").build()), Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");

        // Supersede the candles with a newer slice under the same logical key, then tombstone the replacement.
        String newer = publish("lineage", "Lineage1111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 11)).artifact().id();
        Artifact retired = stub.supersede(SupersedeRequest.newBuilder().setArtifactId(candles).setReplacementId(newer).setReason("re-import").build());
        assertThat(retired.getStatus()).isEqualTo(ArtifactStatus.ARTIFACT_STATUS_SUPERSEDED);
        assertThat(retired.getSupersededBy()).isEqualTo(newer);
        String key = retired.getLogicalKey();
        assertThat(stub.findByLogicalKey(FindByLogicalKeyRequest.newBuilder().setType("ohlcv_slice").setLogicalKey(key).build()).getArtifactsList())
                .extracting(Artifact::getId).containsExactly(newer);
        assertThat(stub.findByLogicalKey(FindByLogicalKeyRequest.newBuilder().setType("ohlcv_slice").setLogicalKey(key).setIncludeInactive(true).build())
                .getArtifactsList()).extracting(Artifact::getId).containsExactly(newer, candles);
        expectError(() -> stub.supersede(SupersedeRequest.newBuilder().setArtifactId(candles).setReplacementId(newer).build()),
                Status.Code.FAILED_PRECONDITION, "ARTIFACT_NOT_ACTIVE");
        expectError(() -> stub.supersede(SupersedeRequest.newBuilder().setArtifactId(newer).setReplacementId(candles).build()),
                Status.Code.FAILED_PRECONDITION, "ARTIFACT_NOT_ACTIVE");
        expectError(() -> stub.supersede(SupersedeRequest.newBuilder().setArtifactId(newer).setReplacementId(first).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.supersede(SupersedeRequest.newBuilder().setArtifactId(newer).setReplacementId(newer).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        expectError(() -> stub.supersede(SupersedeRequest.newBuilder().setArtifactId("art_missing").build()), Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");
        Artifact tombstoned = stub.supersede(SupersedeRequest.newBuilder().setArtifactId(newer).setReason("bad data").build());
        assertThat(tombstoned.getStatus()).isEqualTo(ArtifactStatus.ARTIFACT_STATUS_TOMBSTONED);
        assertThat(stub.listArtifacts(ListArtifactsRequest.newBuilder().putTags("snapshot", "lineage")
                .addStatuses(ArtifactStatus.ARTIFACT_STATUS_SUPERSEDED).addStatuses(ArtifactStatus.ARTIFACT_STATUS_TOMBSTONED).build())
                .getArtifactsList()).extracting(Artifact::getId).containsExactly(newer, candles);
        expectError(() -> stub.findByLogicalKey(FindByLogicalKeyRequest.newBuilder().setType("ohlcv_slice").build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
    }

    @Test
    void theCatalogSurvivesARestart() throws Exception {
        String id = publish("restart", "Restart1111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 5)).artifact().id();
        Path dir = daemon.dataDir();
        daemon.close();
        daemon = engine().configure(TestingStorageDaemon.builder()).onDisk(dir).build();
        stub = ArtifactPortGrpc.newBlockingStub(daemon.loopbackChannel()).withDeadlineAfter(30, TimeUnit.SECONDS);
        Artifact artifact = stub.getArtifact(GetArtifactRequest.newBuilder().setArtifactId(id).build());
        assertThat(artifact.getTagsMap()).containsEntry("snapshot", "restart");
        assertThat(stub.findByLogicalKey(FindByLogicalKeyRequest.newBuilder().setType("ohlcv_slice").setLogicalKey(artifact.getLogicalKey()).build())
                .getArtifactsCount()).isEqualTo(1);
        assertThat(publish("restart", "Restart1111111111111111111111111111111111", LakeFixtures.minuteCandles(T0, 5)).deduped()).isTrue();
    }

    private String sealRun(String sweep, List<String> inputs) throws Exception {
        var run = stub.createRun(CreateRunRequest.newBuilder().setSweepId(sweep).setScenarioId("s").addAllInputArtifactIds(inputs).build()).getRun();
        RunAppends.append(daemon.loopbackChannel(),
                List.of(AppendRunRowsRequest.newBuilder().setRunId(run.getRunId()).setChunkSeq(1).setRows(RowChunks.chunk(0, 10)).build()));
        return stub.finishRun(FinishRunRequest.newBuilder().setRunId(run.getRunId()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()).getResultArtifactId();
    }
}
