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
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the database. Concurrent write requests queue here; the writer thread takes
 * as many as are waiting (up to group-commit.max-batch), applies them in one transaction, commits
 * (one WAL fsync for the whole batch) and only then completes their futures: acknowledged means
 * durable, and many small writes share the cost of one commit.
 *
 * <p>A task that fails validation fails alone. An SQL error rolls the batch back and every task of
 * it is retried alone, so one poisoned request cannot fail its neighbours. If DuckDB invalidates the
 * instance (e.g. out of disk), the database is closed and reopened and readiness is down meanwhile.
 */
@Singleton
public final class GroupCommitWriter {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    private static final Duration QUEUE_FULL_RETRY = Duration.ofMillis(200);

    private final DuckDbDatabase database;
    private final Readiness readiness;
    private final int maxBatch;
    private final BlockingQueue<Pending<?>> queue;
    private final ExecutorService completions;
    private final Map<String, DuckDBAppender> appenders = new HashMap<>();
    /** Owned by the writer thread, like the appenders. */
    private TransactionStatements transactionStatements;
    private final DistributionSummary batchSize;
    private final Timer commitLatency;
    private final Counter rolledBackBatches;

    private final long maxDelayNanos;
    private int lastBatchSize;
    private volatile boolean accepting;
    private volatile boolean running;
    private Thread thread;

    @Inject
    public GroupCommitWriter(DuckDbDatabase database, DatabaseConfig config, Readiness readiness, MeterRegistry registry) {
        this.database = requireNonNull(database, "database is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        requireNonNull(registry, "registry is null");
        this.maxBatch = config.groupCommitMaxBatch();
        this.maxDelayNanos = config.groupCommitMaxDelay().toNanos();
        this.queue = new ArrayBlockingQueue<>(config.groupCommitQueueCapacity());
        this.completions = config.groupCommitCompletionThreads() == 0 ? null
                : Executors.newFixedThreadPool(config.groupCommitCompletionThreads(), runnable -> {
                    Thread completion = new Thread(runnable, "group-commit-completion");
                    completion.setDaemon(true);
                    return completion;
                });
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
        Gauge.builder("quantbot.group_commit.queue_depth", queue, BlockingQueue::size)
                .description("Write requests waiting for the writer thread")
                .register(registry);
        Gauge.builder("quantbot.duckdb.wal_size", database, DuckDbDatabase::walSizeBytes)
                .description("Size of the DuckDB write-ahead log")
                .baseUnit("bytes")
                .register(registry);
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
        if (completions != null) {
            completions.shutdown();
            completions.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Queues a write. The future completes after the commit of the batch that applied it (or
     * exceptionally with the task's StorageException). Fails at once with QUEUE_FULL when the queue
     * is full and SHUTTING_DOWN when the writer is stopping.
     */
    public <T> CompletableFuture<T> submit(WriteTask<T> task) {
        requireNonNull(task, "task is null");
        if (!accepting) {
            throw StorageException.of(ErrorCode.SHUTTING_DOWN, "the daemon is shutting down and accepts no more writes");
        }
        Pending<T> pending = new Pending<>(task, new CompletableFuture<>());
        if (!queue.offer(pending)) {
            throw StorageException.builder(ErrorCode.QUEUE_FULL,
                            "the write queue is full (" + queue.size() + " writes waiting); retry after a short pause")
                    .retryAfter(QUEUE_FULL_RETRY)
                    .build();
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

    private void loop() {
        List<Pending<?>> batch = new ArrayList<>(Math.min(maxBatch, 1024));
        while (running || !queue.isEmpty()) {
            try {
                Pending<?> first = running ? queue.poll(100, TimeUnit.MILLISECONDS) : queue.poll();
                if (first == null) {
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
                log.error("Unexpected failure in the writer loop", e);
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
     * is starting small, wait a moment (at most group-commit.max-delay) for the rest of the wave: one
     * fsync then covers all of it. A lone writer (previous batch of 1) never waits.
     */
    private void gatherFollowers(int queued) {
        if (maxDelayNanos <= 0 || lastBatchSize <= 1 || queued >= lastBatchSize) {
            return;
        }
        long deadline = System.nanoTime() + maxDelayNanos;
        int target = Math.min(lastBatchSize, maxBatch) - 1;
        while (queue.size() < target && System.nanoTime() < deadline && running) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
    }

    private void runBatch(List<Pending<?>> batch) {
        List<Pending<?>> transactional = new ArrayList<>(batch.size());
        for (Pending<?> pending : batch) {
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
            for (Pending<?> pending : transactional) {
                commitTogether(List.of(pending));
            }
        }
    }

    /**
     * Applies the tasks in one transaction. Returns false if a batch of several rolled back because of
     * an SQL error (the caller retries each alone); a lone task that fails is completed exceptionally.
     */
    private boolean commitTogether(List<Pending<?>> tasks) {
        long start = System.nanoTime();
        Object[] results = new Object[tasks.size()];
        StorageException[] failures = new StorageException[tasks.size()];
        DuckDBConnection connection;
        try {
            connection = database.primaryConnection();
            transactionStatements(connection).begin().execute();
        } catch (SQLException | RuntimeException e) {
            failAll(tasks, e);
            return true;
        }
        try {
            WriteContext context = new WriteContext(connection, appenders);
            for (int i = 0; i < tasks.size(); i++) {
                Pending<?> pending = tasks.get(i);
                if (pending.future.isDone()) {
                    continue;
                }
                try {
                    results[i] = pending.task.apply(context);
                } catch (StorageException e) {
                    failures[i] = e;
                }
            }
            flushAppenders();
            transactionStatements(connection).commit().execute();
        } catch (SQLException | RuntimeException e) {
            rollback(connection);
            rolledBackBatches.increment();
            if (tasks.size() > 1) {
                log.warn("Group commit of {} writes failed ({}); retrying each alone", tasks.size(), e.getMessage());
                return false;
            }
            failAll(tasks, e);
            return true;
        }
        batchSize.record(tasks.size());
        commitLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        for (int i = 0; i < tasks.size(); i++) {
            Pending<?> pending = tasks.get(i);
            if (failures[i] != null) {
                completeExceptionally(pending, failures[i]);
            } else if (!pending.future.isDone()) {
                complete(pending, results[i]);
            }
        }
        return true;
    }

    private void runAlone(Pending<?> pending) {
        try {
            DuckDBConnection connection = database.primaryConnection();
            WriteContext context = new WriteContext(connection, appenders);
            complete(pending, pending.task.apply(context));
        } catch (StorageException e) {
            completeExceptionally(pending, e);
        } catch (SQLException | RuntimeException e) {
            failAll(List.of(pending), e);
        }
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
            completions.execute(completion);
        }
    }

    private void failAll(List<Pending<?>> tasks, Throwable cause) {
        StorageException failure;
        if (isInvalidated(cause)) {
            failure = StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE,
                            "the database failed and is being reopened; the write was not applied, retry shortly")
                    .retryAfter(Duration.ofSeconds(1))
                    .cause(cause)
                    .build();
            recover(cause);
        } else {
            failure = internal(cause);
        }
        for (Pending<?> pending : tasks) {
            log.error("Write {} failed", pending.task.name(), cause);
            completeExceptionally(pending, failure);
        }
    }

    private void recover(Throwable cause) {
        readiness.markNotReady(Readiness.STORAGE, "database invalidated (" + cause.getMessage() + "); reopening");
        appenders.clear();
        dropTransactionStatements();
        for (int attempt = 1; running; attempt++) {
            try {
                database.reopen();
                readiness.markReady(Readiness.STORAGE);
                log.warn("Database reopened after it was invalidated");
                return;
            } catch (RuntimeException e) {
                log.error("Reopening the database failed (attempt {})", attempt, e);
                try {
                    Thread.sleep(Math.min(30_000, 500L * attempt));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static boolean isInvalidated(Throwable cause) {
        for (Throwable current = cause; current != null; current = current.getCause()) {
            String message = String.valueOf(current.getMessage());
            if (message.contains("database has been invalidated") || message.contains("FATAL Error")) {
                return true;
            }
        }
        return false;
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
        try {
            execute(connection, "ROLLBACK");
        } catch (SQLException | RuntimeException e) {
            log.warn("Rollback failed: {}", e.getMessage());
        }
    }

    private void closeAppenders() {
        for (DuckDBAppender appender : appenders.values()) {
            try {
                appender.close();
            } catch (SQLException | RuntimeException e) {
                log.debug("Closing an appender failed: {}", e.getMessage());
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
