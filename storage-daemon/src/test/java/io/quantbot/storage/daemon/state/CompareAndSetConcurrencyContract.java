package io.quantbot.storage.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.quantbot.storage.daemon.testing.EngineUnderTest;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * 32 threads x 200 compare-and-set increments of one counter over loopback gRPC: no update is lost.
 * The database is in memory because each increment needs its own commit round; durability has its own tests.
 * The contract of every storage engine: run against each one by a subclass (see EngineUnderTest).
 */
abstract class CompareAndSetConcurrencyContract {
    /** The engine every daemon of this suite runs on (a subclass per engine). */
    protected abstract EngineUnderTest engine();

    private static final int THREADS = 32;
    private static final int INCREMENTS = 200;

    @Test
    void concurrentIncrementsEndAtExactlyThreadsTimesIncrements() throws Exception {
        try (TestingStorageDaemon daemon = engine().configure(TestingStorageDaemon.builder()).build()) {
            ManagedChannel channel = daemon.loopbackChannel();
            StatePortGrpc.StatePortBlockingStub stub = StatePortGrpc.newBlockingStub(channel);
            stub.set(SetRequest.newBuilder().setNamespace("counters").setKey("c").setValue(Value.newBuilder().setJson("0")).build());
            AtomicLong conflicts = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < INCREMENTS; i++) {
                        StateCounters.incrementOnce(stub, conflicts);
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();
            StateEntry end = stub.get(GetRequest.newBuilder().setNamespace("counters").setKey("c").build()).getEntry();
            assertThat(end.getValue().getJson()).isEqualTo(Long.toString(THREADS * INCREMENTS));
            // With 32 writers racing, some compare-and-sets must have lost: the test exercised contention.
            assertThat(conflicts.get()).isPositive();
        }
    }
}
