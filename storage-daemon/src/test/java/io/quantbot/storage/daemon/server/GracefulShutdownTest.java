package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping with writes in flight: every call either is acknowledged (and durable) or fails UNAVAILABLE; nothing hangs. */
class GracefulShutdownTest {
    @Test
    void inFlightWritesFinishOrFailCleanlyAndAcknowledgedOnesSurvive() throws Exception {
        Path dir = Files.createTempDirectory("graceful-");
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Map<String, Status.Code> failed = new ConcurrentHashMap<>();
        int calls = 3_000;
        CountDownLatch done = new CountDownLatch(calls);
        CountDownLatch firstAcknowledged = new CountDownLatch(1);
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().onDisk(dir).build()) {
            StatePortGrpc.StatePortStub stub = StatePortGrpc.newStub(daemon.loopbackChannel());
            for (int i = 0; i < calls; i++) {
                String key = "k" + i;
                stub.withDeadlineAfter(60, TimeUnit.SECONDS).set(SetRequest.newBuilder().setNamespace("g").setKey(key)
                        .setValue(Value.newBuilder().setJson(Integer.toString(i))).build(), new StreamObserver<SetResponse>() {
                            @Override
                            public void onNext(SetResponse value) {
                                acknowledged.add(key);
                                firstAcknowledged.countDown();
                            }

                            @Override
                            public void onError(Throwable t) {
                                failed.put(key, Status.fromThrowable(t).getCode());
                                done.countDown();
                            }

                            @Override
                            public void onCompleted() {
                                done.countDown();
                            }
                        });
                if (i == calls / 3) {
                    // Stop once some writes are acknowledged (a count, not a time: on a loaded machine the first
                    // third may all still be in flight), while the other two thirds are being sent.
                    assertThat(firstAcknowledged.await(60, TimeUnit.SECONDS)).as("a write acknowledged before the stop").isTrue();
                    new Thread(() -> daemon.daemon().stop()).start();
                }
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).as("every call ended").isTrue();
        }
        assertThat(acknowledged).isNotEmpty();
        assertThat(failed.values()).allSatisfy(code -> assertThat(code).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED));
        try (TestingStorageDaemon again = TestingStorageDaemon.builder().onDisk(dir).build()) {
            var stub = StatePortGrpc.newBlockingStub(again.inProcessChannel());
            Set<String> stored = ConcurrentHashMap.newKeySet();
            String token = "";
            do {
                var page = stub.list(ListRequest.newBuilder().setNamespace("g").setPageSize(1000).setPageToken(token).setKeysOnly(true).build());
                page.getEntriesList().forEach(entry -> stored.add(entry.getKey()));
                token = page.getNextPageToken();
            } while (!token.isEmpty());
            assertThat(stored).containsAll(acknowledged);
            again.deleteDataDir();
        } catch (StatusRuntimeException e) {
            throw new AssertionError(e);
        }
    }
}
