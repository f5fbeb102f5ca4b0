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
import java.nio.file.Path;
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

    private void start(int queueCapacity) throws SQLException {
        DatabaseConfig config = DatabaseConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of(
                "data-dir", dir.toString(), "duckdb.path", ":memory:", "group-commit.queue-capacity", Integer.toString(queueCapacity))));
        database = new DuckDbDatabase(config);
        database.open();
        try (Statement statement = database.primaryConnection().createStatement()) {
            statement.execute("CREATE TABLE t (id BIGINT, label VARCHAR)");
        }
        registry = new SimpleMeterRegistry();
        writer = new GroupCommitWriter(database, config, new Readiness(), registry);
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
        Thread.sleep(100);
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
