package io.quantbot.storage.daemon.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatchCallOptionsTest {
    @Test
    void noDeadlineAndNoCancellation() {
        BatchCallOptions options = BatchCallOptions.none();
        assertThat(options.remaining()).isEmpty();
        AtomicInteger calls = new AtomicInteger();
        options.onCancel(calls::incrementAndGet);
        assertThat(calls).hasValue(0);
    }

    @Test
    void theRemainingTimeShrinks() throws Exception {
        BatchCallOptions options = BatchCallOptions.withTimeout(Duration.ofSeconds(10));
        Duration first = options.remaining().orElseThrow();
        assertThat(first).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(10));
        Await.until("the remaining time to shrink", Duration.ofSeconds(5), () -> options.remaining().orElseThrow().compareTo(first) < 0);
        assertThat(BatchCallOptions.withTimeout(Duration.ofMillis(-5)).remaining().orElseThrow()).isNegative();
        assertThat(BatchCallOptions.withTimeout(Duration.ofDays(365 * 1000)).remaining().orElseThrow()).isPositive();
    }

    @Test
    void cancellationListenersRunOnceAndLateOnesAtOnce() {
        CancellationSignal signal = new CancellationSignal();
        BatchCallOptions options = BatchCallOptions.withTimeout(Duration.ofSeconds(1)).cancelledBy(signal);
        assertThat(options.remaining()).isPresent();
        AtomicInteger calls = new AtomicInteger();
        options.onCancel(calls::incrementAndGet);
        assertThat(signal.isCancelled()).isFalse();
        signal.cancel();
        signal.cancel();
        assertThat(calls).hasValue(1);
        options.onCancel(calls::incrementAndGet);
        assertThat(calls).hasValue(2);
        assertThat(signal.isCancelled()).isTrue();
    }

    @Test
    void recordsCopyTheirCollectionsAndQueryResultsHoldOneKindOfData() {
        List<Path> paths = new java.util.ArrayList<>(List.of(Path.of("/lake/a.parquet")));
        QueryCommand command = new QueryCommand("SELECT 1", Map.of("a", paths), QueryFormat.JSON, 0);
        paths.add(Path.of("/lake/b.parquet"));
        assertThat(command.views().get("a")).hasSize(1);
        assertThatThrownBy(() -> new QueryResult(List.of(), 0, false, Optional.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new ValidationIssue("bad.csv", 2, "high", "too low").location()).isEqualTo("bad.csv:2:high");
    }
}
