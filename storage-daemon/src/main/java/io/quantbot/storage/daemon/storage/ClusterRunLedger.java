package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.run.RowBatch;
import io.quantbot.storage.daemon.run.RunLeases;
import io.quantbot.storage.daemon.run.RunLeases.LeaseState;
import io.quantbot.storage.daemon.run.RunLeases.Leased;
import io.quantbot.storage.daemon.run.RunLedger;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.RunStatus;
import io.quantbot.storage.daemon.run.SealMode;
import io.quantbot.storage.daemon.storage.duckdb.DuckDbRunLedger;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs in cluster mode: the cluster's record of each run and its owner ({@link RunLeases}, on PostgreSQL) in front of
 * this daemon's local ledger ({@link DuckDbRunLedger}), which keeps the hot rows of the runs this daemon owns until
 * they are sealed into the shared catalog.
 *
 * <ul>
 *   <li><b>Create.</b> The idempotency key is decided by the cluster: a live run holding it is answered (created =
 *       false) when it is this daemon's or finished; a running run of another daemon is FAILED_PRECONDITION
 *       (RUN_OWNED_ELSEWHERE, naming the owner, retry after its lease's time left); one whose lease expired is declared
 *       lost and the scenario starts again here as a new run. A new run is created locally, then registered; when two
 *       daemons create under one key at once, the unique key in PostgreSQL picks one and the other's local run is
 *       dropped.</li>
 *   <li><b>Append and finish</b> go only to the owner: on another daemon they are RUN_OWNED_ELSEWHERE, on a lost run
 *       RUN_LOST. Chunks touch PostgreSQL not at all (ownership is known locally and kept current by the renewals); a
 *       finish moves the run to FINISHED in PostgreSQL first (refused if it was lost), and the seal's catalog
 *       transaction checks ownership again and marks the runs sealed, so a run is sealed or lost, never both.</li>
 *   <li><b>Leases.</b> Every third of {@code cluster.run-lease} this daemon renews all its unsealed runs in one
 *       statement and declares lost every run in the cluster whose lease expired. Runs it finds lost (it was cut off
 *       from PostgreSQL longer than the lease) are dropped locally, rows and all.</li>
 * </ul>
 */
@Singleton
public final class ClusterRunLedger implements RunLedger {
    /** The readiness condition: down while this daemon cannot renew its run leases for more than half a lease. */
    public static final String READINESS_CONDITION = "run-leases";
    private static final Logger log = LoggerFactory.getLogger(ClusterRunLedger.class);

    private final DuckDbRunLedger local;
    private final RunLeases leases;
    private final String nodeId;
    private final Duration lease;
    private final Readiness readiness;
    /** When this daemon last renewed its leases (System.nanoTime). */
    private volatile long lastRenewalNanos = System.nanoTime();
    /** Unsealed runs this daemon owns, by id: the ones its renewals keep. */
    private final Set<String> owned = ConcurrentHashMap.newKeySet();
    /** Runs of this daemon the cluster declared lost (answered RUN_LOST without asking PostgreSQL). */
    private final Set<String> lost = ConcurrentHashMap.newKeySet();
    private final ThreadPoolExecutor executor;
    private ScheduledExecutorService renewals;
    /** The daemon's clock, as the local ledger's: a run's finish time is this daemon's, never PostgreSQL's. */
    private final java.time.Clock clock;

    @Inject
    public ClusterRunLedger(DuckDbRunLedger local, RunLeases leases, ClusterConfig config, Readiness readiness, java.time.Clock clock,
            MeterRegistry registry) {
        this.local = requireNonNull(local, "local is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.leases = requireNonNull(leases, "leases is null");
        this.nodeId = leases.nodeId();
        this.lease = config.runLease();
        this.executor = new ThreadPoolExecutor(4, 4, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(4096), runnable -> {
            Thread thread = new Thread(runnable, "cluster-runs");
            thread.setDaemon(true);
            return thread;
        });
        Gauge.builder("quantbot.run_leases.owned", owned, Set::size)
                .description("Unsealed runs this daemon owns (holds the rows of) and renews the leases of").register(registry);
    }

    /**
     * After the local ledger loaded: asks the cluster about every unsealed local run (renewing the leases of those still
     * this daemon's), drops the ones declared lost while it was away, resumes the other seals and starts renewing. Local
     * runs the cluster never recorded (from before this data dir joined a cluster) are kept untouched, rows and all, and
     * only logged: nothing acknowledged is deleted on a guess.
     */
    public synchronized void start() {
        List<String> unsealed = local.list(Optional.empty(), Optional.empty(), "", Integer.MAX_VALUE).stream()
                .filter(run -> run.resultArtifactId().isEmpty()).map(RunRecord::runId).toList();
        Map<String, LeaseState> states = unsealed.isEmpty() ? Map.of() : leases.renew(unsealed);
        List<String> lostHere = new ArrayList<>();
        int unknown = 0;
        for (String runId : unsealed) {
            LeaseState state = states.get(runId);
            if (state == null) {
                unknown++;
            } else if (state == LeaseState.LOST) {
                lostHere.add(runId);
            } else if (state != LeaseState.SEALED) {
                owned.add(runId);
            }
        }
        if (!lostHere.isEmpty()) {
            lost.addAll(lostHere);
            local.forget(lostHere).join();
            log.warn("{} run(s) of this daemon were declared lost while it was away; their local rows are dropped", lostHere.size());
        }
        if (unknown > 0) {
            log.warn("{} unsealed local run(s) are not recorded in the cluster (from before this data dir joined it); they are kept in the"
                    + " local DuckDB but not served in cluster mode", unknown);
        }
        local.resumeSeals().exceptionally(failure -> {
            log.warn("Resuming seals after start failed", failure);
            return null;
        });
        long every = Math.max(100, lease.toMillis() / 3);
        renewals = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "run-lease-renewal");
            thread.setDaemon(true);
            return thread;
        });
        renewals.scheduleWithFixedDelay(this::renewAndReap, 0, every, TimeUnit.MILLISECONDS);
    }

    public synchronized void stop() throws InterruptedException {
        if (renewals != null) {
            renewals.shutdownNow();
            renewals.awaitTermination(10, TimeUnit.SECONDS);
            renewals = null;
        }
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** One renewal round: this daemon's leases, then everyone's expired ones. Public for tests that drive it. */
    public void renewAndReap() {
        try {
            List<String> mine = new ArrayList<>(owned);
            Map<String, LeaseState> states = leases.renew(mine);
            lastRenewalNanos = System.nanoTime();
            readiness.markReady(READINESS_CONDITION);
            List<String> nowLost = new ArrayList<>();
            for (String runId : mine) {
                LeaseState state = states.get(runId);
                if (state == LeaseState.SEALED) {
                    owned.remove(runId);
                } else if (state == LeaseState.LOST) {
                    owned.remove(runId);
                    lost.add(runId);
                    nowLost.add(runId);
                }
            }
            if (!nowLost.isEmpty()) {
                log.warn("{} run(s) of this daemon were declared lost (it could not renew their leases in time); dropping their rows",
                        nowLost.size());
                local.forget(nowLost).join();
            }
        } catch (RuntimeException e) {
            log.warn("Renewing this daemon's run leases failed (retried in {} ms)", Math.max(100, lease.toMillis() / 3), e);
            long silentMillis = (System.nanoTime() - lastRenewalNanos) / 1_000_000;
            if (silentMillis > lease.toMillis() / 2) {
                // Past half the lease its runs are at risk: stop taking new work until renewals succeed again.
                readiness.markNotReady(READINESS_CONDITION, "run leases not renewed for " + silentMillis + " ms (cluster.run-lease "
                        + lease.toMillis() + " ms): this daemon's unsealed runs are lost once it passes");
            }
        }
        try {
            leases.reapExpired();
        } catch (RuntimeException e) {
            log.warn("Declaring expired runs lost failed (retried next round)", e);
        }
    }

    @Override
    public CompletableFuture<Created> create(NewRun run) {
        if (run.idempotencyKey().isPresent()) {
            Optional<Leased> live = leases.findLive(run.idempotencyKey().get());
            if (live.isPresent()) {
                Optional<Created> existing = existing(live.get());
                if (existing.isPresent()) {
                    return CompletableFuture.completedFuture(existing.get());
                }
            }
        }
        // The idempotency key is the cluster's to decide: the local run carries none (a lost run's key is free again).
        NewRun localRun = new NewRun(run.sweepId(), run.scenarioId(), run.paramsJson(), run.inputIds(), run.tags(), Optional.empty());
        return local.create(localRun).thenCompose(created -> async(() -> {
            RunRecord record = withKey(created.run(), run.idempotencyKey());
            Leased winner;
            try {
                winner = leases.register(record);
            } catch (RuntimeException e) {
                local.forget(List.of(record.runId()));
                throw e;
            }
            if (winner.record().runId().equals(record.runId())) {
                owned.add(record.runId());
                return new Created(record, true);
            }
            local.forget(List.of(record.runId()));
            return existing(winner).orElseThrow(() -> ownedElsewhere(winner));
        }));
    }

    /** The answer for a live run found under the key, or empty when it was lost just now (then a new run is created). */
    private Optional<Created> existing(Leased found) {
        Leased current = found;
        if (current.state() == LeaseState.LOST) {
            return Optional.empty();
        }
        if (current.ownedBy(nodeId)) {
            RunRecord cluster = current.record();
            RunRecord record = local.get(cluster.runId()).map(run -> merge(run, cluster)).orElse(cluster);
            return Optional.of(new Created(record, false));
        }
        if (current.state() == LeaseState.SEALED) {
            return Optional.of(new Created(current.record(), false));
        }
        if (current.leaseRemainingMs() <= 0) {
            Optional<Leased> after = leases.reapIfExpired(current.record().runId());
            if (after.isEmpty() || after.get().state() == LeaseState.LOST) {
                return Optional.empty();
            }
            current = after.get();
        }
        if (current.state() == LeaseState.FINISHED || current.state() == LeaseState.SEALED) {
            return Optional.of(new Created(current.record(), false));
        }
        throw ownedElsewhere(current);
    }

    @Override
    public Optional<RunRecord> get(String runId) {
        Optional<Leased> found = leases.find(runId);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Leased run = found.get();
        if (run.ownedBy(nodeId) && run.state() != LeaseState.LOST) {
            return Optional.of(local.get(runId).map(fresh -> merge(fresh, run.record())).orElse(run.record()));
        }
        return Optional.of(run.record());
    }

    @Override
    public List<RunRecord> list(Optional<String> sweepId, Optional<RunStatus> status, String afterRunId, int limit) {
        List<RunRecord> runs = new ArrayList<>();
        for (Leased run : leases.list(sweepId, status, afterRunId, limit)) {
            if (run.ownedBy(nodeId) && run.state() != LeaseState.LOST) {
                runs.add(local.get(run.record().runId()).map(fresh -> merge(fresh, run.record())).orElse(run.record()));
            } else {
                runs.add(run.record());
            }
        }
        return runs;
    }

    @Override
    public CompletableFuture<ChunkOutcome> appendChunk(String runId, long chunkSeq, RowBatch rows, BooleanSupplier abandoned) {
        requireOwned(runId);
        return local.appendChunk(runId, chunkSeq, rows, abandoned);
    }

    @Override
    public CompletableFuture<RunRecord> finish(String runId, RunStatus status, Map<String, Double> summary, String errorMessage, SealMode sealMode) {
        requireOwned(runId);
        RunRecord current = local.get(runId).orElseThrow(() -> notFound(runId));
        if (current.status() == RunStatus.RUNNING) {
            // The fence first: PostgreSQL records the finish only while this daemon owns the run.
            RunRecord finished = current.finished(status, clock.millis(), summary, errorMessage, sealMode);
            return async(() -> leases.finish(finished).orElseThrow(() -> {
                markLost(runId);
                return lostError(runId);
            })).thenCompose(fenced -> local.finish(runId, status, summary, errorMessage, sealMode, finished.finishedAtMs())
                    .thenCompose(record -> afterFinish(record, Optional.of(fenced.record()))));
        }
        return local.finish(runId, status, summary, errorMessage, sealMode).thenCompose(record -> afterFinish(record, Optional.empty()));
    }

    /**
     * After the local finish: records a seal in the cluster's runs table, and answers the run as GetRun does (with the
     * idempotency key, which only the cluster holds: from the fence's answer, or read for a repeated finish), so any
     * FinishRun answers exactly what GetRun answers.
     */
    private CompletableFuture<RunRecord> afterFinish(RunRecord record, Optional<RunRecord> fenced) {
        if (record.resultArtifactId().isEmpty() && fenced.isPresent()) {
            return CompletableFuture.completedFuture(merge(record, fenced.get()));
        }
        return async(() -> {
            if (record.resultArtifactId().isPresent()) {
                try {
                    leases.update(record);
                    owned.remove(record.runId());
                } catch (RuntimeException failure) {
                    // The seal is in the catalog and the run marked sealed there; only the copy of the counts lags.
                    log.warn("Recording run {}'s seal in the cluster's runs table failed", record.runId(), failure);
                }
            }
            if (fenced.isPresent()) {
                return merge(record, fenced.get());
            }
            try {
                return leases.find(record.runId()).map(cluster -> merge(record, cluster.record())).orElse(record);
            } catch (RuntimeException failure) {
                log.warn("Reading run {}'s idempotency key from the cluster failed; answering the finish without it", record.runId(), failure);
                return record;
            }
        });
    }

    private void requireOwned(String runId) {
        if (lost.contains(runId)) {
            throw lostError(runId);
        }
        if (owned.contains(runId)) {
            return;
        }
        Leased run = leases.find(runId).orElseThrow(() -> notFound(runId));
        if (run.state() == LeaseState.LOST) {
            if (run.ownedBy(nodeId)) {
                lost.add(runId);
            }
            throw lostError(runId);
        }
        if (!run.ownedBy(nodeId)) {
            throw ownedElsewhere(run);
        }
        if (run.state() != LeaseState.SEALED) {
            owned.add(runId);
        }
    }

    private void markLost(String runId) {
        owned.remove(runId);
        lost.add(runId);
        local.forget(List.of(runId));
    }

    private <T> CompletableFuture<T> async(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, executor).handle((value, failure) -> {
                if (failure == null) {
                    return CompletableFuture.completedFuture(value);
                }
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                return CompletableFuture.<T>failedFuture(cause);
            }).thenCompose(future -> future);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(StorageException.builder(ErrorCode.QUEUE_FULL,
                    "too many run calls wait for the cluster's PostgreSQL; retry shortly").retryAfter(Duration.ofSeconds(1)).build());
        }
    }

    /** The local record (fresh counts) with what only the cluster knows (the idempotency key, the seal). */
    private static RunRecord merge(RunRecord fresh, RunRecord cluster) {
        RunRecord merged = withKey(fresh, cluster.idempotencyKey());
        if (merged.resultArtifactId().isEmpty() && cluster.resultArtifactId().isPresent()) {
            merged = merged.sealed(cluster.resultArtifactId().get());
        }
        return merged;
    }

    private static RunRecord withKey(RunRecord run, Optional<String> key) {
        return new RunRecord(run.runId(), run.sweepId(), run.scenarioId(), run.status(), run.paramsJson(), run.inputIds(), run.tags(), key,
                run.createdAtMs(), run.finishedAtMs(), run.summary(), run.errorMessage(), run.sealMode(), run.resultArtifactId(), run.rowCount(),
                run.committedChunkSeq());
    }

    private StorageException ownedElsewhere(Leased run) {
        long remaining = Math.max(1, run.leaseRemainingMs());
        return StorageException.builder(ErrorCode.RUN_OWNED_ELSEWHERE, "run " + run.record().runId() + " is owned by daemon " + run.ownerNode()
                        + " (its rows live there): send its chunks and FinishRun to that daemon. If it is gone, its lease expires in "
                        + remaining + " ms; CreateRun with the same idempotency key then runs the scenario again here")
                .metadata("run_id", run.record().runId())
                .metadata("owner_node", run.ownerNode())
                .metadata("lease_expires_in_ms", remaining)
                .retryAfter(Duration.ofMillis(remaining))
                .build();
    }

    private StorageException lostError(String runId) {
        return StorageException.builder(ErrorCode.RUN_LOST, "run " + runId + " was declared lost: its owner stopped renewing its lease before"
                        + " the run was sealed, so its rows are gone. CreateRun with the same idempotency key runs the scenario again")
                .metadata("run_id", runId)
                .build();
    }

    private static StorageException notFound(String runId) {
        return StorageException.builder(ErrorCode.RUN_NOT_FOUND, "no run " + runId).metadata("run_id", runId).build();
    }
}
