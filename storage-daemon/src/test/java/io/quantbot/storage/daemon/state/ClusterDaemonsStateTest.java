package io.quantbot.storage.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.daemon.testing.TestPostgres;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode with three daemons in processes of their own (own ports, own data dirs) on one PostgreSQL: a
 * compare-and-set counter incremented through all three ends exact, and one daemon killed with SIGKILL while
 * increments go through it loses none of the increments it acknowledged; the other two carry on, and once restarted
 * on its data dir the killed daemon reads the same value as the others.
 */
class ClusterDaemonsStateTest {
    private static final int THREADS_PER_DAEMON = 3;
    private static final int INCREMENTS = 40;
    private static final Duration START = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private TestPostgres.Database database;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @BeforeEach
    void cluster() throws Exception {
        database = TestPostgres.newDatabase();
        for (int node = 0; node < 3; node++) {
            daemons.add(start(node));
        }
        for (DaemonProcess daemon : daemons) {
            daemon.awaitReady(START);
        }
    }

    private DaemonProcess start(int node) throws Exception {
        return DaemonProcess.start(dir.resolve("node-" + node), database.nodeArgs("node-" + node));
    }

    @AfterEach
    void stop() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void aCounterIncrementedThroughThreeDaemonsEndsExactAndAKilledDaemonLosesNoAcknowledgedIncrement() throws Exception {
        StatePortGrpc.StatePortBlockingStub first = StatePortGrpc.newBlockingStub(daemons.get(0).channel());
        first.set(SetRequest.newBuilder().setNamespace("counters").setKey("c").setValue(Value.newBuilder().setJson("0")).build());

        // Round 1: every daemon up; the counter ends at exactly the number of increments.
        AtomicLong conflicts = new AtomicLong();
        Round round = increment(List.of(daemons.get(0).channel(), daemons.get(1).channel(), daemons.get(2).channel()), conflicts, null);
        assertThat(round.failed()).as("no call fails while every daemon is up").isZero();
        long expected = 3L * THREADS_PER_DAEMON * INCREMENTS;
        assertThat(read(first)).isEqualTo(expected);
        assertThat(round.acknowledged()).isEqualTo(expected);
        assertThat(conflicts.get()).as("the daemons raced for the counter (the test exercised contention)").isPositive();

        // Round 2: node 2 is killed with SIGKILL once some of its increments are acknowledged.
        DaemonProcess victim = daemons.get(2);
        Round killed = increment(List.of(daemons.get(0).channel(), daemons.get(1).channel(), victim.channel()), conflicts, victim);
        long value = read(first);
        // Every acknowledged increment is in; an increment cut off by the kill may or may not have committed (at most
        // one per thread of the killed daemon was in flight), and nothing else was added.
        assertThat(value).isBetween(expected + killed.acknowledged(), expected + killed.acknowledged() + killed.failed());
        assertThat(killed.failed()).as("only the killed daemon's threads stopped, one call each").isBetween(1L, (long) THREADS_PER_DAEMON);
        StatePortGrpc.StatePortBlockingStub second = StatePortGrpc.newBlockingStub(daemons.get(1).channel());
        assertThat(read(second)).isEqualTo(value);

        // The killed node restarts on its own data dir and sees the cluster's value.
        daemons.set(2, start(2).awaitReady(START));
        StatePortGrpc.StatePortBlockingStub restarted = StatePortGrpc.newBlockingStub(daemons.get(2).channel());
        assertThat(read(restarted)).isEqualTo(value);
        restarted.set(SetRequest.newBuilder().setNamespace("counters").setKey("c").setValue(Value.newBuilder().setJson(Long.toString(value + 1)))
                .setExpectedVersion(restarted.get(GetRequest.newBuilder().setNamespace("counters").setKey("c").build()).getEntry().getVersion())
                .build());
        assertThat(read(first)).isEqualTo(value + 1);
    }

    private record Round(long acknowledged, long failed) {}

    /**
     * THREADS_PER_DAEMON threads per channel, each making INCREMENTS compare-and-set increments. With a victim, it is
     * killed once 10 increments went through it; its threads stop at their first failed call (counted as failed).
     */
    private Round increment(List<ManagedChannel> channels, AtomicLong conflicts, DaemonProcess victim) throws Exception {
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong throughVictim = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(channels.size() * THREADS_PER_DAEMON);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int d = 0; d < channels.size(); d++) {
                boolean isVictim = victim != null && d == channels.size() - 1;
                StatePortGrpc.StatePortBlockingStub stub = StatePortGrpc.newBlockingStub(channels.get(d));
                for (int t = 0; t < THREADS_PER_DAEMON; t++) {
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < INCREMENTS; i++) {
                            try {
                                StateCounters.incrementOnce(stub, conflicts);
                            } catch (StatusRuntimeException e) {
                                if (isVictim && e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                                    failed.incrementAndGet();
                                    return null;
                                }
                                throw e;
                            }
                            acknowledged.incrementAndGet();
                            if (isVictim) {
                                throughVictim.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
            }
            if (victim != null) {
                Await.until("10 increments through the daemon to kill", Duration.ofSeconds(120), () -> throughVictim.get() >= 10);
                victim.kill();
            }
            for (Future<?> future : futures) {
                future.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Round(acknowledged.get(), failed.get());
    }

    private static long read(StatePortGrpc.StatePortBlockingStub stub) {
        return Long.parseLong(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                .get(GetRequest.newBuilder().setNamespace("counters").setKey("c").build()).getEntry().getValue().getJson());
    }
}
