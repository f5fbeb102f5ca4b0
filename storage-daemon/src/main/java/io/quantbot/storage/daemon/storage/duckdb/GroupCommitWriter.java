package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.time.Ticker;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the database. Concurrent write requests queue here; the writer thread takes
 * as many as are waiting (up to group-commit.max-batch), applies them in one transaction, commits
 * (one WAL fsync for the whole batch) and only then completes their futures: acknowledged means
 * durable, and many small writes share the cost of one commit. Every submitted future completes:
 * with the result, the task's failure, or SHUTTING_DOWN.
 *
 * <p>Each task is all-or-nothing within its batch. A task that fails before touching the database
 * (validation) fails alone. DuckDB has no savepoints, so a task that fails after it wrote something
 * rolls the batch back and the batch runs again without it. An SQL error rolls the batch back and
 * every task of it is retried alone, so one poisoned request cannot fail its neighbours. A ROLLBACK
 * that fails replaces the writer's connection (closing it discards its transaction).
 *
 * <p>Storage faults: a full disk (ENOSPC, or free space under duckdb.low-space-threshold) fails writes
 * with DISK_FULL (RESOURCE_EXHAUSTED) and takes readiness down; an invalidated instance (DuckDB's FATAL
 * errors, e.g. a checkpoint that hit the full disk) is reopened. While degraded the writer probes with a
 * bounded exponential backoff (0.5 s doubling to 30 s, read from the injected ticker) and resumes by
 * itself once space is back. DuckDB's "COMMIT succeeded and is durable, but the autocheckpoint failed"
 * is a committed batch: its callers hear success, then the instance is reopened.
 */
@Singleton
public final class GroupCommitWriter {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    private static final Duration QUEUE_FULL_RETRY = Duration.ofMillis(200);
    static final Duration FIRST_PROBE_DELAY = Duration.ofMillis(500);
    static final Duration MAX_PROBE_DELAY = Duration.ofSeconds(30);

    private final DuckDbDatabase database;
    private final Readiness readiness;
    private final Ticker ticker;
    private final int maxBatch;
    private final long lowSpaceThreshold;
    private final BlockingQueue<Pending<?>> queue;
    private final ExecutorService completions;
    private final Map<String, DuckDBAppender> appenders = new HashMap<>();
    /** Owned by the writer thread, like the appenders. */
    private TransactionStatements transactionStatements;
    private final DistributionSummary batchSize;
    private final Timer commitLatency;
    private final Counter rolledBackBatches;
    private final Counter rerunBatches;
    private final Counter connectionReplacements;
    private final Counter durableCheckpointFailures;
    private final Counter refusedDiskFull;
    private final Counter reopenSuccesses;
    private final Counter reopenFailures;

    private final long maxDelayNanos;
    private int lastBatchSize;
    private volatile boolean accepting;
    private volatile boolean running;
    private Thread thread;
    private volatile Hooks hooks = new Hooks() {};

    /** Non-null while writes cannot succeed: what writers are told meanwhile. Written by the writer thread. */
    private volatile StorageException degraded;
    private boolean needsReopen;
    private int failedProbes;
    private long nextProbeNanos;

    @Inject
    public GroupCommitWriter(DuckDbDatabase database, DatabaseConfig config, Readiness readiness, MeterRegistry registry) {
        this(database, config, readiness, registry, Ticker.systemTicker());
    }

    GroupCommitWriter(DuckDbDatabase database, DatabaseConfig config, Readiness readiness, MeterRegistry registry, Ticker ticker) {
        this.database = requireNonNull(database, "database is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.ticker = requireNonNull(ticker, "ticker is null");
        requireNonNull(registry, "registry is null");
        this.maxBatch = config.groupCommitMaxBatch();
        this.maxDelayNanos = config.groupCommitMaxDelay().toNanos();
        this.lowSpaceThreshold = config.lowSpaceThreshold();
        this.queue = new ArrayBlockingQueue<>(config.groupCommitQueueCapacity());
        // Bounded like the write queue: when the completion threads fall that far behind, the writer answers
        // callers itself (also after a shutdown: a caller is never left hanging), which slows the writer and so the
        // admission of new writes.
        this.completions = config.groupCommitCompletionThreads() == 0 ? null
                : new ThreadPoolExecutor(config.groupCommitCompletionThreads(), config.groupCommitCompletionThreads(), 0, TimeUnit.MILLISECONDS,
                        new ArrayBlockingQueue<>(config.groupCommitQueueCapacity()), runnable -> {
                            Thread completion = new Thread(runnable, "group-commit-completion");
                            completion.setDaemon(true);
                            return completion;
                        }, (completion, executor) -> completion.run());
        this.batchSize = DistributionSummary.builder("quantbot.group_commit.batch_size")
                .description("Write requests applied per group-commit transaction")
                .baseUnit("requests")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096)
                .register(registry);
        this.commitLatency = Timer.builder("quantbot.group_commit.commit")
                .description("Time to apply and commit one group-commit transaction")
                .serviceLevelObjectives(ms(0.5), ms(1), ms(2.5), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(1000))
                .register(registry);
        this.rolledBackBatches = Counter.builder("quantbot.group_commit.rollbacks")
                .description("Group-commit transactions rolled back because of an SQL error (their tasks were retried alone)")
                .register(registry);
        this.rerunBatches = Counter.builder("quantbot.group_commit.reruns")
                .description("Group-commit transactions rolled back and run again without a task that failed after it had written")
                .register(registry);
        this.connectionReplacements = Counter.builder("quantbot.group_commit.connection_replacements")
                .description("Writer connections replaced because a ROLLBACK failed and the transaction could still be open")
                .register(registry);
        this.durableCheckpointFailures = Counter.builder("quantbot.group_commit.durable_commit_checkpoint_failures")
                .description("Commits that DuckDB reported durable although the automatic checkpoint after them failed (answered as success)")
                .register(registry);
        this.refusedDiskFull = Counter.builder("quantbot.group_commit.refused")
                .description("Writes refused with DISK_FULL because the disk was full or below duckdb.low-space-threshold")
                .tag("reason", "disk_full")
                .register(registry);
        this.reopenSuccesses = Counter.builder("quantbot.duckdb.reopens")
                .description("Attempts to reopen the database after DuckDB invalidated it")
                .tag("outcome", "success")
                .register(registry);
        this.reopenFailures = Counter.builder("quantbot.duckdb.reopens")
                .description("Attempts to reopen the database after DuckDB invalidated it")
                .tag("outcome", "failure")
                .register(registry);
        Gauge.builder("quantbot.group_commit.queue_depth", queue, BlockingQueue::size)
                .description("Write requests waiting for the writer thread")
                .register(registry);
        Gauge.builder("quantbot.group_commit.degraded", this, writer -> writer.degraded == null ? 0 : 1)
                .description("1 while writes cannot succeed (disk full, low space or the database being reopened)")
                .register(registry);
        Gauge.builder("quantbot.duckdb.wal_size", database, DuckDbDatabase::walSizeBytes)
                .description("Size of the DuckDB write-ahead log")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("quantbot.duckdb.free_space", database, DuckDbDatabase::usableSpaceBytes)
                .description("Bytes free for the daemon on the file system holding the database (-1 when unknown)")
                .baseUnit("bytes")
                .register(registry);
    }

    /** Fault-injection points for tests; no-ops in production. */
    interface Hooks {
        /** In submit, after the shutdown check and before the queue offer. */
        default void beforeOffer() {}

        /** Before the writer rolls a transaction back; may throw to simulate a failing ROLLBACK. */
        default void beforeRollback() throws SQLException {}
    }

    void hooks(Hooks hooks) {
        this.hooks = requireNonNull(hooks, "hooks is null");
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        accepting = true;
        thread = new Thread(this::loop, "duckdb-writer");
        thread.start();
        readiness.markReady(Readiness.STORAGE);
    }

    /** Stops taking new writes, applies everything already queued, then stops the thread. */
    public void stop() throws InterruptedException {
        Thread writer;
        synchronized (this) {
            accepting = false;
            writer = thread;
        }
        if (writer == null) {
            return;
        }
        running = false;
        writer.interrupt();
        writer.join(TimeUnit.MINUTES.toMillis(2));
        synchronized (this) {
            thread = null;
        }
        if (!writer.isAlive()) {
            // Nothing can be left (submit withdraws what it offered after the drain), but never leave a caller hanging.
            Pending<?> left;
            while ((left = queue.poll()) != null) {
                left.future.completeExceptionally(shuttingDown());
            }
        }
        if (completions != null) {
            completions.shutdown();
            completions.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Queues a write. The future completes after the commit of the batch that applied it (or
     * exceptionally with the task's StorageException). Fails at once with QUEUE_FULL when the queue
     * is full, with SHUTTING_DOWN when the writer is stopping, and with DISK_FULL or
     * STORAGE_UNAVAILABLE while the storage cannot take writes.
     */
    public <T> CompletableFuture<T> submit(WriteTask<T> task) {
        requireNonNull(task, "task is null");
        if (!accepting) {
            throw shuttingDown();
        }
        StorageException down = degraded;
        if (down != null && task.writes()) {
            if (down.code() == ErrorCode.DISK_FULL) {
                refusedDiskFull.increment();
            }
            throw down;
        }
        Pending<T> pending = new Pending<>(task, new CompletableFuture<>());
        hooks.beforeOffer();
        if (!queue.offer(pending)) {
            throw StorageException.builder(ErrorCode.QUEUE_FULL,
                            "the write queue is full (" + queue.size() + " writes waiting); retry after a short pause")
                    .retryAfter(QUEUE_FULL_RETRY)
                    .build();
        }
        // stop() may have run between the check above and the offer, and the writer may already have drained
        // the queue and left. stop() clears accepting before the writer's last look at the queue, so: if we
        // still see accepting, the writer will see our write; if not, whoever removes it from the queue owns it.
        if (!accepting && queue.remove(pending)) {
            throw shuttingDown();
        }
        return pending.future;
    }

    /** Queues a write and waits for its commit; for callers that have nothing better to do meanwhile. */
    public <T> T execute(WriteTask<T> task) {
        try {
            return submit(task).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    public int queueDepth() {
        return queue.size();
    }

    /** Whether new writes are taken (false once stop() began). */
    boolean accepting() {
        return accepting;
    }

    /** Why writes cannot succeed now, if they cannot. */
    public java.util.Optional<StorageException> degraded() {
        return java.util.Optional.ofNullable(degraded);
    }

    /** While the writes of a failed group commit are retried alone: how many failed again (-1 otherwise); writer thread only. */
    private int failedAlone = -1;

    private void loop() {
        List<Pending<?>> batch = new ArrayList<>(Math.min(maxBatch, 1024));
        while (running || !queue.isEmpty()) {
            try {
                Pending<?> first = running ? queue.poll(100, TimeUnit.MILLISECONDS) : queue.poll();
                probeIfDue();
                if (first == null) {
                    checkFreeSpace(); // readiness follows the free space even while nobody writes
                    continue;
                }
                batch.clear();
                batch.add(first);
                gatherFollowers(batch.size() + queue.size());
                queue.drainTo(batch, maxBatch - 1);
                lastBatchSize = batch.size();
                runBatch(batch);
            } catch (InterruptedException e) {
                // stop() interrupts to end the wait; the loop drains what is left without waiting.
                Thread.interrupted();
            } catch (RuntimeException e) {
                log.error("Unexpected failure in the writer loop; failing the {} writes of the batch", batch.size(), e);
                for (Pending<?> pending : batch) {
                    pending.future.completeExceptionally(internal(e));
                }
            }
        }
        closeAppenders();
        dropTransactionStatements();
    }

    private void dropTransactionStatements() {
        if (transactionStatements != null) {
            transactionStatements.close();
            transactionStatements = null;
        }
    }

    /**
     * With several writers in flight, their requests reach the queue in waves; committing as soon as the
     * first one arrives splits every wave in two commits. When the previous batch was big and this one
     * is starting small, wait a moment (at most group-commit.max-delay, on the injected ticker) for the
     * rest of the wave: one fsync then covers all of it. A lone writer (previous batch of 1) never waits.
     */
    private void gatherFollowers(int queued) {
        if (maxDelayNanos <= 0 || lastBatchSize <= 1 || queued >= lastBatchSize) {
            return;
        }
        long deadline = ticker.read() + maxDelayNanos;
        int target = Math.min(lastBatchSize, maxBatch) - 1;
        while (queue.size() < target && ticker.read() - deadline < 0 && running) {
            LockSupport.parkNanos(20_000);
        }
    }

    private void runBatch(List<Pending<?>> batch) {
        checkFreeSpace();
        List<Pending<?>> transactional = new ArrayList<>(batch.size());
        for (Pending<?> pending : batch) {
            if (refuseIfDegraded(pending)) {
                continue;
            }
            if (pending.task.transactional()) {
                transactional.add(pending);
            } else {
                runAlone(pending);
            }
        }
        if (transactional.isEmpty()) {
            return;
        }
        if (!commitTogether(transactional)) {
            // One stack trace for the batch: the first write that also fails alone logs it in full, the others one line each.
            failedAlone = 0;
            try {
                for (Pending<?> pending : transactional) {
                    if (!refuseIfDegraded(pending)) {
                        commitTogether(List.of(pending));
                    }
                }
            } finally {
                if (failedAlone > 1) {
                    log.error("{} of the {} writes of a failed group commit also failed alone; the first one's stack trace is logged"
                            + " above, the others' first lines", failedAlone, transactional.size());
                }
                failedAlone = -1;
            }
        }
    }

    /** Once per batch (one statvfs): below duckdb.low-space-threshold the writer refuses writes until space is back. */
    private void checkFreeSpace() {
        if (degraded == null && lowSpaceThreshold > 0) {
            long free = database.usableSpaceBytes();
            if (free >= 0 && free < lowSpaceThreshold) {
                degrade(diskFull("the file system holding the database has " + free + " bytes free, under duckdb.low-space-threshold ("
                        + lowSpaceThreshold + " bytes)", free), false, null);
            }
        }
    }

    /** Fails a task at once while the storage cannot take it: writes while degraded, anything while the instance is invalid. */
    private boolean refuseIfDegraded(Pending<?> pending) {
        if (!pending.task.writes()) {
            return needsReopen && failWith(pending, degraded);
        }
        StorageException down = degraded;
        if (down == null) {
            return false;
        }
        if (down.code() == ErrorCode.DISK_FULL) {
            refusedDiskFull.increment();
        }
        return failWith(pending, down);
    }

    private boolean failWith(Pending<?> pending, StorageException failure) {
        completeExceptionally(pending, failure);
        return true;
    }

    /**
     * Applies the tasks in one transaction. Returns false if a batch of several rolled back because of
     * an SQL error (the caller retries each alone); a lone task that fails is completed exceptionally.
     */
    private boolean commitTogether(List<Pending<?>> tasks) {
        long start = ticker.read();
        Object[] results = new Object[tasks.size()];
        StorageException[] failures = new StorageException[tasks.size()];
        boolean[] excluded = new boolean[tasks.size()];
        DuckDBConnection connection = null;
        boolean committing = false;
        try {
            while (true) {
                connection = database.primaryConnection();
                transactionStatements(connection).begin().execute();
                WriteContext context = new WriteContext(connection, appenders);
                int rerunWithout = -1;
                for (int i = 0; i < tasks.size(); i++) {
                    Pending<?> pending = tasks.get(i);
                    if (excluded[i] || pending.future.isDone()) {
                        continue;
                    }
                    context.startTask();
                    try {
                        results[i] = pending.task.apply(context);
                        failures[i] = null;
                    } catch (StorageException e) {
                        failures[i] = e;
                        if (context.taskTouchedDatabase()) {
                            rerunWithout = i;
                            break;
                        }
                    }
                }
                if (rerunWithout < 0) {
                    break;
                }
                // The failed task may have written part of its rows: DuckDB has no savepoints, so the batch goes
                // back and runs again without it. Each rerun drops one task, so this ends.
                excluded[rerunWithout] = true;
                rollback(connection);
                rerunBatches.increment();
            }
            flushAppenders();
            committing = true;
            transactionStatements(connection).commit().execute();
            database.recordCommit();
        } catch (SQLException | RuntimeException e) {
            if (committing && DuckDbFailures.isDurableCommitWithFailedCheckpoint(e)) {
                // The transaction is in the WAL and fsynced; only the checkpoint after it failed. A success for
                // every task of the batch; the instance is invalid now and is reopened before the next write.
                durableCheckpointFailures.increment();
                log.warn("DuckDB committed a batch of {} writes durably, but the automatic checkpoint after it failed; "
                        + "answering the writes as committed and reopening the database", tasks.size(), e);
                database.recordCommit();
                closeAppenders();
                dropTransactionStatements();
                degrade(DuckDbFailures.isDiskFull(e) ? diskFull("the disk holding the database is full",
                        database.usableSpaceBytes()) : storageFailure(e), true, e);
                completeBatch(tasks, results, failures, excluded, start);
                return true;
            }
            if (connection != null) {
                rollback(connection);
            } else {
                dropTransactionStatements();
            }
            rolledBackBatches.increment();
            StorageException storageFault = classify(e);
            if (storageFault != null) {
                failAll(tasks, storageFault, e);
                return true;
            }
            if (tasks.size() > 1) {
                // Without the stack trace: the writes that fail again alone log it (the first one in full).
                log.warn("Group commit of {} writes failed ({}); retrying each alone", tasks.size(), DuckDbFailures.firstLine(e));
                log.debug("Group commit failure", e);
                return false;
            }
            failAll(tasks, internal(e), e);
            return true;
        }
        completeBatch(tasks, results, failures, excluded, start);
        return true;
    }

    private void completeBatch(List<Pending<?>> tasks, Object[] results, StorageException[] failures, boolean[] excluded, long start) {
        batchSize.record(tasks.size());
        commitLatency.record(ticker.read() - start, TimeUnit.NANOSECONDS);
        for (int i = 0; i < tasks.size(); i++) {
            Pending<?> pending = tasks.get(i);
            if (failures[i] != null) {
                completeExceptionally(pending, failures[i]);
            } else if (!excluded[i] && !pending.future.isDone()) {
                complete(pending, results[i]);
            }
        }
    }

    private void runAlone(Pending<?> pending) {
        try {
            DuckDBConnection connection = database.primaryConnection();
            WriteContext context = new WriteContext(connection, appenders);
            // Tasks outside a transaction are checkpoints and backups: a checkpoint empties the WAL, so the commit
            // marker expects nothing of it meanwhile, then what it holds afterwards.
            database.recordPosition(0);
            Object result;
            try {
                result = pending.task.apply(context);
            } finally {
                database.recordPosition(database.walSizeBytes());
            }
            complete(pending, result);
        } catch (StorageException e) {
            completeExceptionally(pending, e);
        } catch (SQLException | RuntimeException e) {
            StorageException storageFault = classify(e);
            failAll(List.of(pending), storageFault != null ? storageFault : internal(e), e);
        }
    }

    /**
     * What a failure means for the storage as a whole: DISK_FULL or STORAGE_UNAVAILABLE (and the writer
     * degrades until a probe succeeds), or null for an error of this write alone.
     */
    private StorageException classify(Throwable e) {
        boolean invalidated = DuckDbFailures.isInvalidated(e);
        if (DuckDbFailures.isDiskFull(e)) {
            StorageException failure = diskFull("the disk holding the database is full",
                    database.usableSpaceBytes());
            degrade(failure, invalidated, e);
            return failure;
        }
        if (invalidated) {
            StorageException failure = storageFailure(e);
            degrade(failure, true, e);
            return failure;
        }
        return null;
    }

    private StorageException diskFull(String why, long freeBytes) {
        return StorageException.builder(ErrorCode.DISK_FULL,
                        why + "; the write was not applied. Writes resume by themselves once space is freed.")
                .metadata("free_bytes", freeBytes)
                .metadata("low_space_threshold_bytes", lowSpaceThreshold)
                .retryAfter(FIRST_PROBE_DELAY)
                .build();
    }

    private static StorageException storageFailure(Throwable cause) {
        return StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE,
                        "the database failed and is being reopened; the write was not applied, retry shortly")
                .retryAfter(Duration.ofSeconds(1))
                .cause(cause)
                .build();
    }

    /** Writes cannot succeed until a probe says otherwise; readiness goes down with the reason. Writer thread only. */
    private void degrade(StorageException failure, boolean reopen, Throwable cause) {
        boolean first = degraded == null;
        needsReopen |= reopen;
        if (reopen) {
            appenders.clear();
            dropTransactionStatements();
        }
        degraded = failure;
        readiness.markNotReady(Readiness.STORAGE, failure.getMessage());
        if (first) {
            failedProbes = 0;
            nextProbeNanos = ticker.read() + (reopen ? 0 : FIRST_PROBE_DELAY.toNanos());
            log.error("Writes cannot succeed: {}", failure.getMessage(), cause);
        }
    }

    /**
     * While degraded: when the backoff has passed, reopen the database if DuckDB invalidated it and check
     * the free space; resume writes if both are fine, else wait twice as long (at most 30 s).
     */
    private void probeIfDue() {
        if (degraded == null || ticker.read() - nextProbeNanos < 0) {
            return;
        }
        try {
            if (needsReopen) {
                closeAppenders();
                dropTransactionStatements();
                database.reopen();
                needsReopen = false;
                reopenSuccesses.increment();
                log.warn("Database reopened after DuckDB invalidated it");
            }
            long free = database.usableSpaceBytes();
            boolean lowSpace = free >= 0 && (free < lowSpaceThreshold || free == 0);
            if (lowSpace) {
                degraded = diskFull("the file system holding the database has " + free + " bytes free (duckdb.low-space-threshold "
                        + lowSpaceThreshold + " bytes)", free);
                readiness.markNotReady(Readiness.STORAGE, degraded.getMessage());
                scheduleNextProbe();
                return;
            }
            degraded = null;
            failedProbes = 0;
            readiness.markReady(Readiness.STORAGE);
            log.warn("Writes resume: the database is open and {} bytes are free", free);
        } catch (RuntimeException e) {
            reopenFailures.increment();
            scheduleNextProbe();
            log.error("Reopening the database failed (attempt {}); next attempt in {} ms", failedProbes,
                    TimeUnit.NANOSECONDS.toMillis(nextProbeNanos - ticker.read()), e);
        }
    }

    private void scheduleNextProbe() {
        failedProbes++;
        long delay = FIRST_PROBE_DELAY.toNanos() << Math.min(failedProbes - 1, 10);
        nextProbeNanos = ticker.read() + Math.min(delay, MAX_PROBE_DELAY.toNanos());
    }

    @SuppressWarnings("unchecked")
    private <T> void complete(Pending<T> pending, Object result) {
        T typed = (T) result;
        try {
            pending.task.afterCommit(typed);
        } catch (RuntimeException e) {
            log.error("afterCommit of {} failed; the write is committed but the in-memory index may lag", pending.task.name(), e);
        }
        complete(() -> pending.future.complete(typed));
    }

    private void completeExceptionally(Pending<?> pending, Throwable failure) {
        complete(() -> pending.future.completeExceptionally(failure));
    }

    /**
     * Completes a caller's future. Inline on the writer thread by default: the callbacks are the gRPC
     * adapters' onNext/onCompleted (cheap, non-blocking), and a hop to another thread per write costs
     * more than it saves on two cores. group-commit.completion-threads > 0 moves them off the writer.
     */
    private void complete(Runnable completion) {
        if (completions == null) {
            try {
                completion.run();
            } catch (RuntimeException e) {
                log.error("A write's completion callback failed", e);
            }
        } else {
            completions.execute(() -> {
                try {
                    completion.run();
                } catch (RuntimeException e) {
                    log.error("A write's completion callback failed", e);
                }
            });
        }
    }

    /** Fails every task with one failure and logs the cause once for the whole batch. */
    private void failAll(List<Pending<?>> tasks, StorageException failure, Throwable cause) {
        Set<String> names = new LinkedHashSet<>();
        for (Pending<?> pending : tasks) {
            names.add(pending.task.name());
        }
        if (failure.code() == ErrorCode.INTERNAL && failedAlone >= 0 && ++failedAlone > 1) {
            log.error("{} writes failed ({}): {}: {}", tasks.size(), String.join(", ", names), failure.getMessage(), DuckDbFailures.firstLine(cause));
        } else if (failure.code() == ErrorCode.INTERNAL) {
            log.error("{} writes failed ({}): {}", tasks.size(), String.join(", ", names), failure.getMessage(), cause);
        } else {
            log.warn("{} writes failed with {} ({}): {}", tasks.size(), failure.code(), String.join(", ", names), DuckDbFailures.firstLine(cause));
        }
        for (Pending<?> pending : tasks) {
            completeExceptionally(pending, failure);
        }
    }

    private void flushAppenders() throws SQLException {
        for (DuckDBAppender appender : appenders.values()) {
            appender.flush();
        }
    }

    private void rollback(DuckDBConnection connection) {
        // Closing an appender flushes its buffered rows into the open transaction, which the rollback
        // then discards: partial rows of a failed task can never reach a later commit.
        closeAppenders();
        // duckdb_jdbc closes a prepared statement whose execution failed; prepare BEGIN/COMMIT again.
        dropTransactionStatements();
        try {
            hooks.beforeRollback();
            execute(connection, "ROLLBACK");
        } catch (SQLException | RuntimeException e) {
            if (DuckDbFailures.isNoActiveTransaction(e) || DuckDbFailures.isInvalidated(e)) {
                return; // DuckDB already ended it (a COMMIT that failed), or the instance is reopened anyway.
            }
            // The transaction may still be open, aborted or holding a failed task's rows: never commit on this
            // connection again. Closing it discards the transaction; the writer goes on with a fresh one.
            connectionReplacements.increment();
            log.error("ROLLBACK failed; replacing the writer's connection so its transaction cannot reach a later commit", e);
            try {
                database.replacePrimaryConnection();
            } catch (RuntimeException replaceFailure) {
                replaceFailure.addSuppressed(e);
                degrade(storageFailure(replaceFailure), true, replaceFailure);
            }
        }
    }

    private void closeAppenders() {
        for (DuckDBAppender appender : appenders.values()) {
            try {
                appender.close();
            } catch (SQLException | RuntimeException e) {
                log.debug("Closing an appender failed", e);
            }
        }
        appenders.clear();
    }

    /**
     * BEGIN and COMMIT prepared once per connection: a plain Statement parses and plans them again for every
     * batch, ~60 us of a ~0.5 ms transaction (duckdb_jdbc 1.5.6, measured in a bare JDBC loop).
     */
    private TransactionStatements transactionStatements(DuckDBConnection connection) throws SQLException {
        TransactionStatements current = transactionStatements;
        if (current == null || current.connection() != connection) {
            if (current != null) {
                current.close();
            }
            current = new TransactionStatements(connection, connection.prepareStatement("BEGIN TRANSACTION"),
                    connection.prepareStatement("COMMIT"));
            transactionStatements = current;
        }
        return current;
    }

    private record TransactionStatements(DuckDBConnection connection, PreparedStatement begin, PreparedStatement commit) {
        void close() {
            for (PreparedStatement statement : new PreparedStatement[] {begin, commit}) {
                try {
                    statement.close();
                } catch (SQLException | RuntimeException e) {
                    // The connection is closed or being replaced: nothing to keep.
                }
            }
        }
    }

    private static void execute(DuckDBConnection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static StorageException shuttingDown() {
        return StorageException.of(ErrorCode.SHUTTING_DOWN, "the daemon is shutting down and accepts no more writes");
    }

    private static StorageException internal(Throwable cause) {
        return StorageException.builder(ErrorCode.INTERNAL, "the write failed inside the daemon; see the daemon log")
                .cause(cause)
                .build();
    }

    private static Duration ms(double millis) {
        return Duration.ofNanos((long) (millis * 1_000_000));
    }

    private record Pending<T>(WriteTask<T> task, CompletableFuture<T> future) {}
}
