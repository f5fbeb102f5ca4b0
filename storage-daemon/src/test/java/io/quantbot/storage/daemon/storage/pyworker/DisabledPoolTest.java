package io.quantbot.storage.daemon.storage.pyworker;

import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.batch.QueryCommand;
import io.quantbot.storage.daemon.batch.QueryFormat;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** python-worker.pool-size=0: no process, no readiness condition, coarse calls fail UNAVAILABLE saying why. */
class DisabledPoolTest {
    @TempDir
    Path dir;

    @Test
    void aDisabledPoolStartsNothingAndSaysSo() throws Exception {
        try (PoolFixture fixture = PoolFixture.start(dir, "python-worker.pool-size", "0", "python-worker.python", "/nowhere/python")) {
            assertThat(fixture.readiness.reasons()).doesNotContainKey(ProcessWorkerPool.READINESS_CONDITION);
            assertThat(fixture.pool.poolSize()).isZero();
            assertThat(fixture.pool.spawnCount()).isZero();
            assertThat(fixture.pool.workersReady()).isZero();
            assertThat(fixture.pool.pythonVersion()).isEmpty();
            assertThat(fixture.counter("quantbot.python_worker.spawns", "reason", "start")).isZero();
            StorageException error = failure(fixture.engine.query(new QueryCommand("SELECT 1", Map.of("t", List.of(dir.resolve("t.parquet"))),
                    QueryFormat.JSON, 0), BatchCallOptions.none()));
            assertThat(error.code()).isEqualTo(ErrorCode.WORKER_UNAVAILABLE);
            assertThat(error.getMessage()).contains("the python worker pool is disabled (python-worker.pool-size=0)");
        }
    }
}
