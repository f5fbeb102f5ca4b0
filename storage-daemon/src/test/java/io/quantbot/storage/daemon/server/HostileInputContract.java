package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quantbot.storage.daemon.testing.GrpcErrors;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.daemon.testing.Uploads;
import io.quantbot.storage.v1.AnalyzeSweepRequest;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.BatchCreateRunsRequest;
import io.quantbot.storage.v1.BatchFinishRunsRequest;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.CreateRunResult;
import io.quantbot.storage.v1.FindByLogicalKeyRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.FinishRunResult;
import io.quantbot.storage.v1.GenerateFeaturesRequest;
import io.quantbot.storage.v1.GenerateReportRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.ImportSnapshotRequest;
import io.quantbot.storage.v1.Provenance;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import io.quantbot.storage.v1.PublishHeader;
import io.quantbot.storage.v1.RunStatus;
import io.quantbot.storage.v1.SealMode;
import io.quantbot.storage.v1.SupersedeRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Table-driven hostile inputs against every gRPC entry point that takes a path or a name, over a real
 * loopback connection: each must be INVALID_ARGUMENT (never INTERNAL, which is the only answer that
 * logs a stack trace), and the connection must keep serving afterwards. No worker runs here: a value
 * that slipped past validation would reach the (empty) pool and fail differently, so the test would
 * see it.
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
abstract class HostileInputContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract io.quantbot.storage.daemon.testing.EngineUnderTest engine();

    /** Names no field may hold, with what each one is. */
    static final Map<String, String> HOSTILE_NAMES = hostileNames();

    private Path dir;

    private TestingStorageDaemon daemon;
    private ManagedChannel channel;
    private ArtifactPortGrpc.ArtifactPortBlockingStub stub;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("hostile-");
        Path imports = Files.createDirectories(dir.resolve("imports"));
        Files.createDirectories(dir.resolve("outside/snap"));
        Files.writeString(dir.resolve("outside/secret.csv"), "token,chain\n");
        Files.createSymbolicLink(imports.resolve("escape"), dir.resolve("outside/snap"));
        // Valid targets, so that only the hostile field can be what a call is refused for.
        Files.createDirectories(imports.resolve("snap"));
        Files.writeString(imports.resolve("x.csv"), "call_id,caller,token,chain,ts,price\n");
        Files.createSymbolicLink(imports.resolve("escape.csv"), dir.resolve("outside/secret.csv"));
        daemon = engine().configure(TestingStorageDaemon.builder()).set("python-worker.import-roots", imports.toString()).build();
        channel = daemon.loopbackChannel();
        stub = ArtifactPortGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    @AfterAll
    void stop() throws java.io.IOException {
        daemon.close();
        try (var walk = Files.walk(dir)) { // symlinks are removed, never followed
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static Map<String, String> hostileNames() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("NUL", "snap\0shot");
        values.put("NUL at the end", "snap\0");
        values.put("only NUL", "\0");
        values.put("CR LF", "snap\r\nInjected: 1");
        values.put("CR", "snap\rshot");
        values.put("LF", "snap\nshot");
        values.put("tab", "snap\tshot");
        values.put("escape", "snap\u001b[2Jshot");
        values.put("DEL", "snap\u007f");
        values.put("C1 NEL", "snap\u0085shot");
        values.put("RTL override", "snap\u202Etxt.exe");
        values.put("LTR isolate", "snap\u2066x");
        values.put("zero-width space", "snap\u200Bshot");
        values.put("zero-width joiner", "snap\u200Dshot");
        values.put("BOM", "\uFEFFsnap");
        values.put("soft hyphen", "snap\u00ADshot");
        values.put("line separator", "snap\u2028shot");
        values.put("paragraph separator", "snap\u2029shot");
        values.put("noncharacter", "snap\uFFFE");
        values.put("replacement character", "snap\uFFFD");
        values.put("very long", "s".repeat(70_000));
        values.put("whitespace only", "   ");
        values.put("a no-break space only", "\u00A0");
        values.put("leading space", " snap");
        values.put("trailing space", "snap ");
        values.put("ideographic space around", "\u3000snap\u3000");
        return values;
    }

    /** Paths no path field may hold (on top of every hostile name). */
    private Map<String, String> hostilePaths() {
        Map<String, String> values = new LinkedHashMap<>(hostileNames());
        values.put("empty", "");
        values.put("dot dot", "..");
        values.put("dot dot inside", "snap/../../outside");
        values.put("dot dot after absolute", dir.resolve("imports").toString() + "/../outside/snap");
        values.put("absolute outside the roots", "/etc");
        values.put("absolute file outside the roots", "/etc/passwd");
        values.put("the root of the file system", "/");
        values.put("a device", "/dev/zero");
        values.put("symlink escape (folder)", "escape");
        values.put("symlink escape (file)", "escape.csv");
        values.put("absolute symlink escape", dir.resolve("imports/escape").toString());
        values.put("a segment over 255 bytes", "a".repeat(256));
        values.put("over 4096 bytes", "ab/".repeat(1500));
        values.put("percent-encoded NUL (a name that does not exist)", "snap%00");
        values.put("missing", "does-not-exist");
        return values;
    }

    /** Runs the call once per hostile value and asserts each is INVALID_ARGUMENT; returns how many ran. */
    private int expectAllRefused(String entryPoint, Map<String, String> values, Consumer<String> call) {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> value : values.entrySet()) {
            StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () -> call.accept(value.getValue()));
            if (failure == null) {
                wrong.add(value.getKey() + ": accepted");
            } else if (failure.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                wrong.add(value.getKey() + ": " + failure.getStatus().getCode() + " " + failure.getStatus().getDescription());
            } else if (GrpcErrors.errorInfo(failure).isEmpty() || GrpcErrors.badRequest(failure).isEmpty()) {
                wrong.add(value.getKey() + ": no ErrorInfo/BadRequest naming the field");
            }
        }
        assertThat(wrong).as(entryPoint).isEmpty();
        // The connection survives: the next call on the same channel is served.
        assertThat(stub.getServerInfo(GetServerInfoRequest.getDefaultInstance()).getVersion()).isNotEmpty();
        return values.size();
    }

    private static Map<String, String> tagsWithKey(String key) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(key, "v");
        return tags;
    }

    @Test
    void importSnapshotRefusesEveryHostilePathAndName() {
        expectAllRefused("ImportSnapshot.source_dir", hostilePaths(),
                value -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir(value).setDryRun(true).build()));
        expectAllRefused("ImportSnapshot.snapshot_name", HOSTILE_NAMES,
                value -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir("snap").setSnapshotName(value).build()));
        expectAllRefused("ImportSnapshot.tags key", withEmpty(HOSTILE_NAMES),
                value -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir("snap").putAllTags(tagsWithKey(value)).build()));
        expectAllRefused("ImportSnapshot.tags value", HOSTILE_NAMES,
                value -> stub.importSnapshot(ImportSnapshotRequest.newBuilder().setSourceDir("snap").putTags("k", value).build()));
    }

    @Test
    void uploadSnapshotRefusesEveryHostileFilePathAndName() {
        byte[] content = "call_id,caller,token,chain,ts,price\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Map<String, String> paths = withEmpty(HOSTILE_NAMES);
        paths.put("dot dot", "..");
        paths.put("dot dot inside", "calls/../../../etc/cron.d/x");
        paths.put("dot", "./calls.csv");
        paths.put("absolute", "/etc/passwd");
        paths.put("the root", "/");
        paths.put("empty segment", "calls//calls.csv");
        paths.put("trailing slash", "calls/");
        paths.put("backslash", "calls\\..\\x.csv");
        paths.put("hidden file", ".env");
        paths.put("hidden folder", "calls/.git/config");
        paths.put("a segment over 255 bytes", "a".repeat(256));
        paths.put("over 1024 bytes", "ab/".repeat(400));
        paths.put("nine levels deep", "a/b/c/d/e/f/g/h/i.csv");
        paths.put("space around a segment", "calls/ x.csv");
        int ran = expectAllRefused("UploadSnapshot.file.path", paths, value -> Uploads.send(channel,
                Uploads.messages("snap", List.of(new Uploads.Entry(value, content)), Map.of(), true)));
        assertThat(ran).isEqualTo(paths.size());
        expectAllRefused("UploadSnapshot.snapshot_name", withEmpty(HOSTILE_NAMES), value -> Uploads.send(channel,
                Uploads.messages(value, List.of(new Uploads.Entry("calls.csv", content)), Map.of(), true)));
        expectAllRefused("UploadSnapshot.tags value", HOSTILE_NAMES, value -> Uploads.send(channel,
                Uploads.messages("snap", List.of(new Uploads.Entry("calls.csv", content)), Map.of("k", value), true)));
        expectAllRefused("UploadSnapshot.tags key", withEmpty(HOSTILE_NAMES), value -> Uploads.send(channel,
                Uploads.messages("snap", List.of(new Uploads.Entry("calls.csv", content)), tagsWithKey(value), true)));
        // Nothing any refused upload sent stays in staging.
        assertThat(daemon.dataDir().resolve("staging/uploads").toFile().list()).isNullOrEmpty();
    }

    @Test
    void publishArtifactRefusesEveryHostilePathAndName() {
        expectAllRefused("PublishArtifact.source_path", withoutEmpty(hostilePaths()), value -> publish(header("k").setSourcePath(value)));
        expectAllRefused("PublishArtifact.logical_key", withEmpty(HOSTILE_NAMES), value -> publish(header(value).setSourcePath("x.csv")));
        expectAllRefused("PublishArtifact.tags", HOSTILE_NAMES, value -> publish(header("k").setSourcePath("x.csv").putTags("k", value)));
        expectAllRefused("PublishArtifact.provenance.writer", HOSTILE_NAMES,
                value -> publish(header("k").setSourcePath("x.csv").setProvenance(Provenance.newBuilder().setWriter(value))));
        expectAllRefused("PublishArtifact.type", withEmpty(HOSTILE_NAMES), value -> publish(header("k").setType(value).setSourcePath("x.csv")));
    }

    @Test
    void runsRefuseHostileNames() {
        expectAllRefused("CreateRun.sweep_id", withEmpty(HOSTILE_NAMES),
                value -> stub.createRun(CreateRunRequest.newBuilder().setSweepId(value).setScenarioId("s").build()));
        expectAllRefused("CreateRun.scenario_id", withEmpty(HOSTILE_NAMES),
                value -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId(value).build()));
        expectAllRefused("CreateRun.tags", HOSTILE_NAMES,
                value -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").putTags("k", value).build()));
        expectAllRefused("CreateRun.idempotency_key", HOSTILE_NAMES,
                value -> stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").setIdempotencyKey(value).build()));
        String runId = stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").build()).getRun().getRunId();
        expectAllRefused("FinishRun.summary key", withEmpty(HOSTILE_NAMES), value -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(runId)
                .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary(value, 1.0).build()));
        expectAllRefused("FinishRun.run_id", withEmpty(HOSTILE_NAMES), value -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(value)
                .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()));
    }

    @Test
    void batchRunCallsRefuseHostileNamesPerItemAndServeTheItemBesideIt() {
        expectAllRefused("BatchCreateRuns.requests.sweep_id", withEmpty(HOSTILE_NAMES),
                value -> createInBatch(CreateRunRequest.newBuilder().setSweepId(value).setScenarioId("s").build()));
        expectAllRefused("BatchCreateRuns.requests.scenario_id", withEmpty(HOSTILE_NAMES),
                value -> createInBatch(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId(value).build()));
        expectAllRefused("BatchCreateRuns.requests.tags", HOSTILE_NAMES,
                value -> createInBatch(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").putTags("k", value).build()));
        expectAllRefused("BatchCreateRuns.requests.idempotency_key", HOSTILE_NAMES,
                value -> createInBatch(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").setIdempotencyKey(value).build()));
        expectAllRefused("BatchFinishRuns.requests.summary key", withEmpty(HOSTILE_NAMES), value -> finishInBatch(FinishRunRequest.newBuilder()
                .setRunId(newRun()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).putSummary(value, 1.0).build()));
        expectAllRefused("BatchFinishRuns.requests.run_id", withEmpty(HOSTILE_NAMES), value -> finishInBatch(FinishRunRequest.newBuilder()
                .setRunId(value).setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()));
    }

    private String newRun() {
        return stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("s").build()).getRun().getRunId();
    }

    /** A batch of the hostile item and a valid one: the valid one is served, the hostile one's status is thrown. */
    private void createInBatch(CreateRunRequest hostile) {
        List<CreateRunResult> results = stub.batchCreateRuns(BatchCreateRunsRequest.newBuilder().addRequests(hostile)
                .addRequests(CreateRunRequest.newBuilder().setSweepId("sw").setScenarioId("beside")).build()).getResultsList();
        assertThat(results.get(1).hasCreated()).as("the valid item beside a hostile one").isTrue();
        if (results.get(0).hasError()) {
            throw StatusProto.toStatusRuntimeException(results.get(0).getError());
        }
    }

    private void finishInBatch(FinishRunRequest hostile) {
        List<FinishRunResult> results = stub.batchFinishRuns(BatchFinishRunsRequest.newBuilder().addRequests(hostile)
                .addRequests(FinishRunRequest.newBuilder().setRunId(newRun()).setStatus(RunStatus.RUN_STATUS_SUCCEEDED)
                        .setSeal(SealMode.SEAL_MODE_DEFER)).build()).getResultsList();
        assertThat(results.get(1).hasRun()).as("the valid item beside a hostile one").isTrue();
        if (results.get(0).hasError()) {
            throw StatusProto.toStatusRuntimeException(results.get(0).getError());
        }
    }

    @Test
    void catalogAndCoarseCallsRefuseHostileNames() {
        expectAllRefused("FindByLogicalKey.logical_key", withEmpty(HOSTILE_NAMES),
                value -> stub.findByLogicalKey(FindByLogicalKeyRequest.newBuilder().setType("alerts").setLogicalKey(value).build()));
        expectAllRefused("Supersede.reason", HOSTILE_NAMES,
                value -> stub.supersede(SupersedeRequest.newBuilder().setArtifactId("art_0").setReason(value).build()));
        expectAllRefused("AnalyzeSweep.sweep_id", withEmpty(HOSTILE_NAMES),
                value -> stub.analyzeSweep(AnalyzeSweepRequest.newBuilder().setSweepId(value).build()));
        expectAllRefused("GenerateReport.sweep_id", withEmpty(HOSTILE_NAMES),
                value -> stub.generateReport(GenerateReportRequest.newBuilder().setSweepId(value).build()));
        expectAllRefused("GenerateReport.title", HOSTILE_NAMES,
                value -> stub.generateReport(GenerateReportRequest.newBuilder().setSweepId("sw").setTitle(value).build()));
        expectAllRefused("GenerateFeatures.logical_key", HOSTILE_NAMES,
                value -> stub.generateFeatures(GenerateFeaturesRequest.newBuilder().setLogicalKey(value).build()));
        expectAllRefused("GenerateFeatures.tags", HOSTILE_NAMES,
                value -> stub.generateFeatures(GenerateFeaturesRequest.newBuilder().putTags("k", value).build()));
    }

    private static Map<String, String> withEmpty(Map<String, String> values) {
        Map<String, String> all = new LinkedHashMap<>(values);
        all.put("empty", "");
        return all;
    }

    private static Map<String, String> withoutEmpty(Map<String, String> values) {
        Map<String, String> all = new LinkedHashMap<>(values);
        all.remove("empty");
        return all;
    }

    private static PublishHeader.Builder header(String logicalKey) {
        return PublishHeader.newBuilder().setType("alerts").setLogicalKey(logicalKey);
    }

    private void publish(PublishHeader.Builder header) {
        try {
            io.quantbot.storage.daemon.testing.Publishes.publish(channel, List.of(PublishArtifactRequest.newBuilder().setHeader(header).build()));
        } catch (StatusRuntimeException status) {
            throw status;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
