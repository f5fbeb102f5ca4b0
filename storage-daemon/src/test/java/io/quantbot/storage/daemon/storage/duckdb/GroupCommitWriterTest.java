package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.TestingTicker;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitWriterTest {
    @TempDir
    Path dir;

    private DuckDbDatabase database;
    private GroupCommitWriter writer;
    private SimpleMeterRegistry registry;

    private final TestingTicker ticker = new TestingTicker();

    private void start(int queueCapacity) throws SQLException {
        start(queueCapacity, writer -> {});
    }

    private void start(int queueCapacity, java.util.function.Consumer<GroupCommitWriter> beforeStart) throws SQLException {
        start(queueCapacity, 0, beforeStart);
    }

    private void start(int queueCapacity, int completionThreads, java.util.function.Consumer<GroupCommitWriter> beforeStart) throws SQLException {
        DatabaseConfig config = DatabaseConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of(
                "data-dir", dir.toString(), "duckdb.path", ":memory:", "group-commit.queue-capacity", Integer.toString(queueCapacity),
                "group-commit.max-delay", "50ms", "group-commit.completion-threads", Integer.toString(completionThreads))));
        database = new DuckDbDatabase(config);
        database.open();
        try (Statement statement = database.primaryConnection().createStatement()) {
            statement.execute("CREATE TABLE t (id BIGINT, label VARCHAR)");
        }
        registry = new SimpleMeterRegistry();
        writer = new GroupCommitWriter(database, config, new Readiness(), registry, ticker);
        beforeStart.accept(writer);
        writer.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (writer != null) {
            writer.stop();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void concurrentWritesShareTransactionsAndAreVisibleWhenAcknowledged() throws Exception {
        start(10_000);
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        CountDownLatch gate = gate();
        for (int i = 0; i < 500; i++) {
            futures.add(writer.submit(insert(i)));
        }
        gate.countDown();
        for (CompletableFuture<Long> future : futures) {
            long id = future.get(30, TimeUnit.SECONDS);
            // Acknowledged means committed: another connection sees the row.
            assertThat(count("SELECT count(*) FROM t WHERE id = " + id)).isEqualTo(1);
        }
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(500);
        assertThat(registry.get("quantbot.group_commit.batch_size").summary().max()).isGreaterThan(100);
        assertThat(registry.get("quantbot.group_commit.batch_size").summary().count()).isLessThan(20);
    }

    @Test
    void completionThreadsThatFallBehindMakeTheWriterAnswerCallersItselfInsteadOfQueueingWithoutBound() throws Exception {
        // group-commit.completion-threads = 1 and a completion queue as deep as the write queue (4). Before the
        // bound, completions queued without limit behind a stuck completion thread and no caller was answered.
        start(4, 1, writer -> {});
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch gate = gate();
        CompletableFuture<Long> first = writer.submit(insert(1));
        first.whenComplete((id, failure) -> {
            stuck.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        gate.countDown();
        assertThat(stuck.await(10, TimeUnit.SECONDS)).as("the completion thread runs the first callback and is stuck in it").isTrue();
        List<CompletableFuture<Long>> queued = new ArrayList<>();
        for (long id = 2; id <= 5; id++) {
            queued.add(writer.submit(insert(id)));
            long committed = id;
            Await.until("write " + committed + " committed", Duration.ofSeconds(10), () -> committed(committed));
        }
        assertThat(queued).hasSize(4).noneMatch(CompletableFuture::isDone);
        CompletableFuture<Long> overflow = writer.submit(insert(6));
        assertThat(overflow.get(10, TimeUnit.SECONDS)).as("answered by the writer while the completion queue is full").isEqualTo(6);
        assertThat(queued).noneMatch(CompletableFuture::isDone);
        release.countDown();
        for (CompletableFuture<Long> future : queued) {
            assertThat(future.get(10, TimeUnit.SECONDS)).isPositive();
        }
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void aTaskThatFailsValidationFailsAloneAndItsNeighboursCommit() throws Exception {
        start(100);
        CountDownLatch gate = gate();
        CompletableFuture<Long> first = writer.submit(insert(1));
        CompletableFuture<Long> invalid = writer.submit(new Task("invalid") {
            @Override
            public Long apply(WriteContext context) {
                throw StorageException.of(ErrorCode.INVALID_ARGUMENT, "bad input");
            }
        });
        CompletableFuture<Long> third = writer.submit(insert(3));
        gate.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThatThrownBy(() -> invalid.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(2);
        assertThat(registry.get("quantbot.group_commit.rollbacks").counter().count()).isZero();
    }

    @Test
    void anSqlErrorRollsTheBatchBackAndOnlyThePoisonedTaskFails() throws Exception {
        start(100);
        CountDownLatch gate = gate();
        CompletableFuture<Long> first = writer.submit(insert(1));
        CompletableFuture<Long> poisoned = writer.submit(new Task("poisoned") {
            @Override
            public Long apply(WriteContext context) throws SQLException {
                try (Statement statement = context.connection().createStatement()) {
                    statement.execute("INSERT INTO t VALUES (2, 'half')");
                    statement.execute("INSERT INTO missing_table VALUES (1)");
                }
                return 2L;
            }
        });
        CompletableFuture<Long> third = writer.submit(insert(3));
        gate.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThatThrownBy(() -> poisoned.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
                    assertThat(e.getMessage()).doesNotContain("missing_table");
                });
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM t WHERE label = 'half'")).isZero();
        assertThat(registry.get("quantbot.group_commit.rollbacks").counter().count()).isEqualTo(2);
    }

    @Test
    void aBadBatchLogsOneFullStackTraceAndOneLinePerOtherFailedWrite() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(GroupCommitWriter.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events = new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            start(100);
            CountDownLatch gate = gate();
            List<CompletableFuture<Long>> poisoned = new ArrayList<>();
            CompletableFuture<Long> good = writer.submit(insert(1));
            for (int i = 0; i < 3; i++) {
                poisoned.add(writer.submit(new Task("poisoned") {
                    @Override
                    public Long apply(WriteContext context) throws SQLException {
                        try (Statement statement = context.connection().createStatement()) {
                            statement.execute("INSERT INTO missing_table VALUES (1)");
                        }
                        return 0L;
                    }
                }));
            }
            gate.countDown();
            assertThat(good.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(poisoned).hasSize(3);
            for (CompletableFuture<Long> future : poisoned) {
                assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            }
            // The summary follows the last failed write's completion.
            io.quantbot.storage.daemon.testing.Await.until("the batch's summary line", java.time.Duration.ofSeconds(30),
                    () -> logged(events).stream().anyMatch(event -> event.getFormattedMessage().contains("also failed alone")));
        } finally {
            logger.detachAppender(events);
        }
        List<ch.qos.logback.classic.spi.ILoggingEvent> logged = logged(events);
        // Before: the batch's warning and each of the three failed writes carried the full stack trace (four traces).
        assertThat(logged.stream().filter(event -> event.getThrowableProxy() != null && event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)))
                .as("events with a stack trace").hasSize(1);
        assertThat(logged.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage))
                .anySatisfy(message -> assertThat(message).startsWith("Group commit of 4 writes failed (").endsWith("; retrying each alone"))
                .anySatisfy(message -> assertThat(message).startsWith("3 of the 4 writes of a failed group commit also failed alone"))
                .filteredOn(message -> message.startsWith("1 writes failed (poisoned)")).hasSize(3)
                // the first with its stack trace, the two others with the first line of their cause instead
                .filteredOn(message -> message.contains("see the daemon log: ")).hasSize(2);
    }

    @Test
    void appenderRowsOfAFailedBatchNeverReachALaterCommit() throws Exception {
        start(100);
        CountDownLatch gate = gate();
        CompletableFuture<Long> appendThenFail = writer.submit(new Task("append-then-fail") {
            @Override
            public Long apply(WriteContext context) throws SQLException {
                var appender = context.appender("t");
                appender.beginRow();
                appender.append(99L);
                appender.append("appended");
                appender.endRow();
                throw new SQLException("simulated failure after appending");
            }
        });
        gate.countDown();
        assertThatThrownBy(() -> appendThenFail.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        writer.submit(insert(5)).get(10, TimeUnit.SECONDS);
        assertThat(count("SELECT count(*) FROM t WHERE id = 99")).isZero();
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(1);
    }

    @Test
    void aFullQueueFailsFastWithARetryHint() throws Exception {
        start(2);
        CountDownLatch gate = gate();
        writer.submit(insert(1));
        writer.submit(insert(2));
        assertThatThrownBy(() -> writer.submit(insert(3))).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.QUEUE_FULL);
            assertThat(e.retryAfter()).isPresent();
        });
        gate.countDown();
    }

    @Test
    void stopAppliesWhatIsQueuedThenRefusesNewWrites() throws Exception {
        start(1000);
        CountDownLatch gate = gate();
        List<CompletableFuture<Long>> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            queued.add(writer.submit(insert(i)));
        }
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
            try {
                writer.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Await.until("stop() has begun", Duration.ofSeconds(10), () -> !writer.accepting());
        gate.countDown();
        stopping.get(30, TimeUnit.SECONDS);
        for (CompletableFuture<Long> future : queued) {
            assertThat(future.get(10, TimeUnit.SECONDS)).isNotNull();
        }
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(50);
        assertThatThrownBy(() -> writer.submit(insert(1000))).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.SHUTTING_DOWN));
        writer = null;
    }

    @Test
    void aStopBetweenTheShutdownCheckAndTheOfferStillCompletesTheWrite() throws Exception {
        // Issue 18, defect 2: submit checked `accepting`, then offered; a stop() in between drained the queue and
        // let the writer exit, and the offered write's future never completed. The hook parks submit right there.
        CountDownLatch atOffer = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        start(100, w -> w.hooks(new GroupCommitWriter.Hooks() {
            @Override
            public void beforeOffer() {
                if (armed.getAndSet(false)) {
                    atOffer.countDown();
                    try {
                        proceed.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }));
        armed.set(true);
        CompletableFuture<CompletableFuture<Long>> submitted = CompletableFuture.supplyAsync(() -> writer.submit(insert(7)));
        assertThat(atOffer.await(10, TimeUnit.SECONDS)).isTrue();
        writer.stop(); // the writer drains an empty queue and exits while submit is between its check and its offer
        proceed.countDown();

        Throwable outcome = org.assertj.core.api.Assertions.catchThrowable(() -> submitted.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS));
        assertThat(outcome).as("the write's future must complete, not hang").isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SHUTTING_DOWN));
        assertThat(count("SELECT count(*) FROM t WHERE id = 7")).isZero();
        assertThat(writer.queueDepth()).isZero();
        writer = null;
    }

    @Test
    void aTaskThatFailsAfterWritingLeavesNothingAndItsNeighboursCommit() throws Exception {
        // Issue 18, defect 3: a task that failed halfway left its rows in the shared transaction, committed with the batch.
        start(100);
        CountDownLatch gate = gate();
        CompletableFuture<Long> first = writer.submit(insert(1));
        CompletableFuture<Long> halfway = writer.submit(new Task("halfway") {
            @Override
            public Long apply(WriteContext context) throws SQLException {
                try (Statement statement = context.connection().createStatement()) {
                    statement.execute("INSERT INTO t VALUES (2, 'half')");
                }
                var appender = context.appender("t");
                appender.beginRow();
                appender.append(22L);
                appender.append("half-appended");
                appender.endRow();
                throw StorageException.of(ErrorCode.RUN_NOT_OPEN, "found out after writing");
            }
        });
        CompletableFuture<Long> third = writer.submit(insert(3));
        CompletableFuture<Long> sees = writer.submit(new Task("sees-first") {
            @Override
            public Long apply(WriteContext context) throws SQLException {
                try (Statement statement = context.connection().createStatement();
                        ResultSet rows = statement.executeQuery("SELECT count(*) FROM t WHERE label = 'half'")) {
                    rows.next();
                    return rows.getLong(1);
                }
            }
        });
        gate.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(sees.get(10, TimeUnit.SECONDS)).as("later tasks of the batch never see the failed task's rows").isZero();
        assertThatThrownBy(() -> halfway.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RUN_NOT_OPEN));
        assertThat(count("SELECT count(*) FROM t WHERE label LIKE 'half%'")).isZero();
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(2);
        assertThat(registry.get("quantbot.group_commit.reruns").counter().count()).isEqualTo(1);
    }

    @Test
    void aFailedRollbackReplacesTheConnectionSoItsTransactionNeverCommits() throws Exception {
        // Issue 18, defect 4: a failed ROLLBACK was only logged; the transaction (holding a failed task's rows)
        // stayed open on the writer's connection, and every later BEGIN failed.
        java.util.concurrent.atomic.AtomicInteger rollbacks = new java.util.concurrent.atomic.AtomicInteger();
        start(100, w -> w.hooks(new GroupCommitWriter.Hooks() {
            @Override
            public void beforeRollback() throws SQLException {
                if (rollbacks.incrementAndGet() == 1) {
                    throw new SQLException("simulated: the ROLLBACK failed");
                }
            }
        }));
        java.sql.Connection before = database.primaryConnection();
        CompletableFuture<Long> poisoned = writer.submit(new Task("poisoned") {
            @Override
            public Long apply(WriteContext context) throws SQLException {
                try (Statement statement = context.connection().createStatement()) {
                    statement.execute("INSERT INTO t VALUES (2, 'half')");
                    statement.execute("INSERT INTO missing_table VALUES (1)");
                }
                return 2L;
            }
        });
        assertThatThrownBy(() -> poisoned.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
        assertThat(rollbacks.get()).isEqualTo(1);
        assertThat(writer.submit(insert(5)).get(10, TimeUnit.SECONDS)).isEqualTo(5);
        assertThat(writer.submit(insert(6)).get(10, TimeUnit.SECONDS)).isEqualTo(6);
        assertThat(count("SELECT count(*) FROM t WHERE label = 'half'")).isZero();
        assertThat(count("SELECT count(*) FROM t")).isEqualTo(2);
        assertThat(database.primaryConnection()).isNotSameAs(before);
        assertThat(before.isClosed()).isTrue();
        assertThat(registry.get("quantbot.group_commit.connection_replacements").counter().count()).isEqualTo(1);
    }

    @Test
    void theWaitForTheRestOfAWaveEndsWhenTheTickerPassesMaxDelay() throws Exception {
        start(1000);
        CountDownLatch gate = gate();
        List<CompletableFuture<Long>> wave = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            wave.add(writer.submit(insert(i)));
        }
        gate.countDown();
        for (CompletableFuture<Long> future : wave) {
            future.get(10, TimeUnit.SECONDS);
        }
        var batches = registry.get("quantbot.group_commit.batch_size").summary();
        long batchesBefore = batches.count();
        double requestsBefore = batches.totalAmount();

        // The previous batch held 10: a lone arrival makes the writer wait for the rest of the wave. Time stands
        // still, so it waits however long the machine takes to queue three more.
        List<CompletableFuture<Long>> next = new ArrayList<>();
        next.add(writer.submit(insert(100)));
        Await.until("the writer took the first write of the wave", Duration.ofSeconds(10), () -> writer.queueDepth() == 0);
        for (int i = 101; i < 104; i++) {
            next.add(writer.submit(insert(i)));
        }
        assertThat(writer.queueDepth()).isEqualTo(3);
        assertThat(next).noneMatch(CompletableFuture::isDone);
        ticker.advance(Duration.ofMillis(50));
        for (CompletableFuture<Long> future : next) {
            future.get(10, TimeUnit.SECONDS);
        }
        assertThat(batches.count()).isEqualTo(batchesBefore + 1);
        assertThat(batches.totalAmount() - requestsBefore).isEqualTo(4);
    }

    /** Holds the writer thread in a task until the returned latch opens, so the next submissions form one batch. */
    private CountDownLatch gate() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        writer.submit(new Task("gate") {
            @Override
            public Long apply(WriteContext context) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0L;
            }
        });
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    /** A copy of what the appender holds (it appends under its own monitor). */
    private static List<ch.qos.logback.classic.spi.ILoggingEvent> logged(ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events) {
        synchronized (events) {
            return List.copyOf(events.list);
        }
    }

    private static Task insert(long id) {
        return new Task("insert") {
            @Override
            public Long apply(WriteContext context) throws SQLException {
                var appender = context.appender("t");
                appender.beginRow();
                appender.append(id);
                appender.append("row " + id);
                appender.endRow();
                return id;
            }
        };
    }

    private boolean committed(long id) {
        try {
            return count("SELECT count(*) FROM t WHERE id = " + id) == 1;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection connection = database.duplicateConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private abstract static class Task implements WriteTask<Long> {
        private final String name;

        Task(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }
    }
}
