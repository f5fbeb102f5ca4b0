package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.quantbot.storage.daemon.artifact.ArtifactQuery;
import io.quantbot.storage.daemon.artifact.ArtifactRecord;
import io.quantbot.storage.daemon.artifact.LakeCatalog;
import io.quantbot.storage.daemon.artifact.Registration;
import io.quantbot.storage.daemon.artifact.StagedArtifact;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.server.StorageDaemon;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.CreateRunRequest;
import io.quantbot.storage.v1.FinishRunRequest;
import io.quantbot.storage.v1.GetRunRequest;
import io.quantbot.storage.v1.Run;
import io.quantbot.storage.v1.RunStatus;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 defect 6: start-up resumes interrupted seals and used to wait for them while holding the daemon's and the
 * storage's monitors, so a stop() (SIGTERM during a long resumption) queued behind the whole resumption. The schedule
 * is fixed by latches: the resumed seal's registration is held open until the test lets it go, and stop() must return
 * before that.
 */
class StopDuringSealResumptionTest {
    @TempDir
    Path dir;

    @Test
    void stopDuringTheSealResumptionDoesNotWaitForIt() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        GatedCatalog gate = new GatedCatalog();
        String runId;
        // 1. A finished run whose seal failed: it awaits its seal at the next start.
        try (TestingStorageDaemon first = TestingStorageDaemon.builder().onDisk(data).override(gate.module()).build()) {
            ArtifactPortGrpc.ArtifactPortBlockingStub stub = ArtifactPortGrpc.newBlockingStub(first.inProcessChannel())
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            Run run = stub.createRun(CreateRunRequest.newBuilder().setSweepId("sw-resume").setScenarioId("s").setParamsJson("{}").build()).getRun();
            runId = run.getRunId();
            gate.mode.set(Mode.FAIL);
            assertThat(catchThrowable(() -> stub.finishRun(FinishRunRequest.newBuilder().setRunId(runId)
                    .setStatus(RunStatus.RUN_STATUS_SUCCEEDED).build()))).as("the seal fails").isNotNull();
            Run unsealed = stub.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
            assertThat(unsealed.getStatus()).isEqualTo(RunStatus.RUN_STATUS_SUCCEEDED);
            assertThat(unsealed.getResultArtifactId()).isEmpty();
        }

        // 2. The next start resumes that seal; its registration is held open.
        gate.mode.set(Mode.HOLD);
        CompletableFuture<TestingStorageDaemon> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return TestingStorageDaemon.builder().onDisk(data).override(gate.module()).build();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(gate.held.await(60, TimeUnit.SECONDS)).as("the resumed seal reached the catalog").isTrue();
        StorageDaemon daemon = gate.daemon.get();
        assertThat(daemon).isNotNull();

        // 3. stop() returns while the resumption is still held (before the fix it waited on the start's monitor).
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(daemon::stop);
        try {
            stopped.get(60, TimeUnit.SECONDS);
            assertThat(gate.pending.get()).as("the resumed seal is still held").isNotDone();
            assertThat(gate.readiness.get().isReady()).isFalse();
        } finally {
            gate.pending.get().completeExceptionally(new IllegalStateException("released by the test"));
        }
        // 4. The start then gives up quietly: no gRPC port, never ready; a later start seals the run.
        TestingStorageDaemon started = starting.get(60, TimeUnit.SECONDS);
        assertThat(gate.readiness.get().isReady()).isFalse();
        started.close();

        gate.mode.set(Mode.PASS);
        try (TestingStorageDaemon third = TestingStorageDaemon.builder().onDisk(data).override(gate.module()).build()) {
            Run sealed = ArtifactPortGrpc.newBlockingStub(third.inProcessChannel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .getRun(GetRunRequest.newBuilder().setRunId(runId).build());
            assertThat(sealed.getResultArtifactId()).startsWith("art_");
        }
    }

    private enum Mode { PASS, FAIL, HOLD }

    /** The production catalog, with registration failing or held open on demand. */
    static final class GatedCatalog implements LakeCatalog {
        final AtomicReference<Mode> mode = new AtomicReference<>(Mode.PASS);
        final CountDownLatch held = new CountDownLatch(1);
        final AtomicReference<CompletableFuture<Registration>> pending = new AtomicReference<>();
        final AtomicReference<StorageDaemon> daemon = new AtomicReference<>();
        final AtomicReference<Readiness> readiness = new AtomicReference<>();
        private volatile LakeCatalog delegate;

        AbstractModule module() {
            GatedCatalog gate = this;
            return new AbstractModule() {
                @Override
                protected void configure() {
                    bind(Capture.class).asEagerSingleton();
                }

                @Provides
                @Singleton
                LakeCatalog catalog(DuckDbLakeCatalog production) {
                    gate.delegate = production;
                    return gate;
                }

                @Provides
                GatedCatalog gate() {
                    return gate;
                }
            };
        }

        /** Hands the test the daemon being started (its constructor does not return until start-up ends). */
        static final class Capture {
            @Inject
            Capture(GatedCatalog gate, StorageDaemon daemon, Readiness readiness) {
                gate.daemon.set(daemon);
                gate.readiness.set(readiness);
            }
        }

        @Override
        public CompletableFuture<Registration> register(StagedArtifact staged) {
            return switch (mode.get()) {
                case PASS -> delegate.register(staged);
                case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("registration refused by the test"));
                case HOLD -> {
                    CompletableFuture<Registration> future = new CompletableFuture<>();
                    pending.set(future);
                    held.countDown();
                    yield future;
                }
            };
        }

        @Override
        public Optional<ArtifactRecord> get(String id) {
            return delegate.get(id);
        }

        @Override
        public List<ArtifactRecord> list(ArtifactQuery query, String beforeId, int limit) {
            return delegate.list(query, beforeId, limit);
        }

        @Override
        public io.quantbot.storage.daemon.artifact.ArtifactLocation location(ArtifactRecord record) {
            return delegate.location(record);
        }

        @Override
        public Map<String, ArtifactRecord> getAll(java.util.Collection<String> ids) {
            return delegate.getAll(ids);
        }

        @Override
        public List<ArtifactRecord> findByLogicalKey(String type, String logicalKey) {
            return delegate.findByLogicalKey(type, logicalKey);
        }

        @Override
        public List<ArtifactRecord> findActiveByTags(String type, Map<String, String> tags) {
            return delegate.findActiveByTags(type, tags);
        }

        @Override
        public Map<String, List<String>> outputsOf(java.util.Collection<String> ids) {
            return delegate.outputsOf(ids);
        }

        @Override
        public CompletableFuture<List<Registration>> registerAll(List<StagedArtifact> staged) {
            return delegate.registerAll(staged);
        }

        @Override
        public CompletableFuture<ArtifactRecord> supersede(String id, Optional<String> replacementId, String reason) {
            return delegate.supersede(id, replacementId, reason);
        }

        @Override
        public Path localFile(ArtifactRecord record) {
            return delegate.localFile(record);
        }
    }
}
