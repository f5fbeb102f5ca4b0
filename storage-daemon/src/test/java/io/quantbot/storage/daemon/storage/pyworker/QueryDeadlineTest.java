package io.quantbot.storage.daemon.storage.pyworker;

import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.failure;
import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.QueryCommand;
import io.quantbot.storage.daemon.batch.QueryFormat;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.SleepOp;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Query without a client deadline gets python-worker.query-timeout, not the pool's python-worker.default-timeout. */
@Tag("python")
class QueryDeadlineTest {
    @TempDir
    Path dir;

    @Test
    void aQueryWithoutADeadlineGetsTheQueryTimeoutAndTheWorkerIsReused() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.query-timeout", "1500ms").awaitWarm()) {
            long pid = fixture.onlyPid();
            // Runs for hours: a trillion-row scan.
            StorageException error = failure(fixture.engine.query(
                    new QueryCommand("SELECT count(*) AS n FROM range(1000000000000) t(i) WHERE i % 7 = 3", Map.of(), QueryFormat.JSON, 0),
                    BatchCallOptions.none()));
            assertThat(error.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            assertThat(error.getMessage()).contains("the query call exceeded its deadline");
            // Other coarse calls keep python-worker.default-timeout (10m): a 2 s sleep is fine.
            assertThat(value(fixture.pool.submit(Request.newBuilder().setSleep(SleepOp.newBuilder().setMillis(2000)).build(),
                    BatchCallOptions.none())).getSleep().getSleptMs()).isGreaterThanOrEqualTo(2000);
            // The worker honoured the cancel and serves the next Query.
            assertThat(value(fixture.engine.query(new QueryCommand("SELECT 42 AS answer", Map.of(), QueryFormat.JSON, 0),
                    BatchCallOptions.none())).jsonRows()).hasValue("[{\"answer\":42}]");
            assertThat(fixture.onlyPid()).isEqualTo(pid);
        }
    }
}
