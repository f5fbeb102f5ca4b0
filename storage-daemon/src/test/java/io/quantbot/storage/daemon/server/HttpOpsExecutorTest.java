package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Issue 18 (unbounded queues): the ops endpoint's handler queue is bounded; past it the dispatcher runs the exchange itself. */
class HttpOpsExecutorTest {
    @Test
    void pastTheQueueTheSubmittingThreadRunsTheExchangeInsteadOfQueueingIt() throws InterruptedException {
        ThreadPoolExecutor executor = HttpOpsServer.boundedExecutor(2, 3);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(2);
        try {
            for (int i = 0; i < 2; i++) {
                executor.execute(() -> {
                    busy.countDown();
                    await(release);
                });
            }
            assertThat(busy.await(10, TimeUnit.SECONDS)).as("both handler threads are busy").isTrue();
            for (int i = 0; i < 3; i++) {
                executor.execute(() -> await(release));
            }
            assertThat(executor.getQueue()).hasSize(3);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            executor.execute(() -> ranOn.set(Thread.currentThread()));
            assertThat(ranOn.get()).as("the fourth waiting exchange ran on the submitting (dispatcher) thread").isSameAs(Thread.currentThread());
            assertThat(executor.getQueue()).hasSize(3);
        } finally {
            release.countDown();
            executor.shutdown();
            assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
