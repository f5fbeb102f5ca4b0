package io.quantbot.storage.daemon.storage.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18, defect 1: the read-connection pool never loses slots, never waits past a deadline, and follows reopens. */
class ReaderConnectionsTest {
    @TempDir
    Path dir;

    private DuckDbDatabase database;
    private ReaderConnections readers;
    private final List<CountDownLatch> holds = new ArrayList<>();
    private final List<CompletableFuture<Void>> holders = new ArrayList<>();

    private void open(String readerWait) throws SQLException {
        DatabaseConfig config = DatabaseConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of(
                "data-dir", dir.toString(), "duckdb.reader-wait", readerWait)));
        database = new DuckDbDatabase(config);
        database.open();
        try (Statement statement = database.primaryConnection().createStatement()) {
            statement.execute("CREATE TABLE t (id BIGINT)");
            statement.execute("INSERT INTO t VALUES (1)");
        }
        readers = new ReaderConnections(database, config);
    }

    @AfterEach
    void close() {
        holds.forEach(CountDownLatch::countDown);
        if (database != null) {
            database.close();
        }
    }

    @Test
    void aFailedDuplicationGivesItsSlotBack() throws Exception {
        open("30s");
        database.close(); // duplicateConnection() now throws, as it does while the database is being reopened
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> readers.read(this::countRows)).isInstanceOfSatisfying(StorageException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE));
        }
        assertThat(readers.openConnections()).isZero();
        database.open();
        // Before the fix every failure above leaked a slot: after four, this read blocked in idle.take() forever.
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> {
            try {
                return readers.read(this::countRows);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void aReaderWaitsNoLongerThanTheCallsDeadline() throws Exception {
        open("10m");
        holdAllConnections();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            Context.CancellableContext call = Context.current().withDeadlineAfter(100, TimeUnit.MILLISECONDS, scheduler);
            CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return call.call(() -> readers.read(this::countRows));
                } catch (StorageException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // duckdb.reader-wait is 10 minutes: only the deadline can end this wait.
            assertThatThrownBy(() -> read.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(StorageException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED));
            call.cancel(null);
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void withoutADeadlineAReaderWaitsAtMostReaderWait() throws Exception {
        open("1ms");
        holdAllConnections();
        assertThatThrownBy(() -> readers.read(this::countRows)).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
            assertThat(e.retryAfter()).isPresent();
            assertThat(e.getMessage()).contains("duckdb.reader-wait");
        });
        holds.forEach(CountDownLatch::countDown);
        // The holders give their connections back when they next run (later on a loaded machine): wait for that,
        // or this read, with its 1 ms reader-wait, races them.
        CompletableFuture.allOf(holders.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(readers.read(this::countRows)).isEqualTo(1);
    }

    @Test
    void aReopenClosesPooledConnectionsAndReadsSeeTheNewInstance() throws Exception {
        open("30s");
        assertThat(readers.read(this::countRows)).isEqualTo(1);
        assertThat(readers.openConnections()).isEqualTo(1);
        database.reopen();
        assertThat(readers.openConnections()).as("the idle connection of the old instance is closed").isZero();
        try (Statement statement = database.primaryConnection().createStatement()) {
            statement.execute("INSERT INTO t VALUES (2)");
        }
        assertThat(readers.read(this::countRows)).isEqualTo(2);
        assertThat(readers.openConnections()).isEqualTo(1);
    }

    @Test
    void aConnectionBorrowedAcrossAReopenIsClosedWhenItComesBack() throws Exception {
        open("30s");
        CountDownLatch borrowed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> longRead = CompletableFuture.supplyAsync(() -> {
            try {
                return readers.read(connection -> {
                    long rows = countRows(connection);
                    borrowed.countDown();
                    awaitQuietly(release);
                    return rows;
                });
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(borrowed.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> reopening = CompletableFuture.runAsync(database::reopen);
        // The reopen waits for the lent connection: the old instance must be gone before the file is opened again.
        Await.until("the reopen waits for the lent connection", Duration.ofSeconds(10), readers::draining);
        assertThat(reopening).isNotDone();
        release.countDown();
        reopening.get(10, TimeUnit.SECONDS);
        assertThat(longRead.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(readers.openConnections()).isZero();
        assertThat(readers.read(this::countRows)).isEqualTo(1);
    }

    /** Borrows all four connections and keeps them until the test ends. */
    private void holdAllConnections() throws InterruptedException {
        CountDownLatch borrowed = new CountDownLatch(4);
        for (int i = 0; i < 4; i++) {
            CountDownLatch hold = new CountDownLatch(1);
            holds.add(hold);
            holders.add(CompletableFuture.runAsync(() -> {
                try {
                    readers.read(connection -> {
                        borrowed.countDown();
                        awaitQuietly(hold);
                        return null;
                    });
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, Executors.newSingleThreadExecutor()));
        }
        assertThat(borrowed.await(10, TimeUnit.SECONDS)).isTrue();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private long countRows(java.sql.Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SELECT count(*) FROM t")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
