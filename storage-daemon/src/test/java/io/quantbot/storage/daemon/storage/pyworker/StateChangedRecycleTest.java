package io.quantbot.storage.daemon.storage.pyworker;

import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.alive;
import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.failure;
import static io.quantbot.storage.daemon.storage.pyworker.PoolFixture.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.SleepOp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request that changes the worker's shared database (here a fault injected into the real worker: its
 * sleep hook runs {@code enable_logging()} on the request's cursor, as a sandbox escape would) retires
 * the worker: the call fails, the pool counts a state_changed recycle and serves the next call from a
 * fresh worker.
 */
@Tag("python")
class StateChangedRecycleTest {
    @TempDir
    Path dir;

    @Test
    void aWorkerWhoseDatabaseARequestChangedIsRetiredAndReplaced() throws Exception {
        Path escaping = dir.resolve("escaping-python");
        String inject = String.join("\n",
                "import runpy",
                "from quantbot.storage.worker.v1 import worker_pb2",
                "from quantbot_worker import handlers",
                "def escape(ctx, op):",
                "    if op.millis == 7:",
                "        ctx.cursor.execute('SELECT * FROM enable_logging()')",
                "    return worker_pb2.Result(sleep=worker_pb2.SleepResult(slept_ms=0))",
                "handlers.HANDLERS['sleep'] = escape",
                "runpy.run_module('quantbot_worker', run_name='__main__')");
        // The launcher runs "<python> -m quantbot_worker" with PYTHONPATH at the worker code; this one runs
        // the same module after the injection.
        Files.writeString(dir.resolve("inject.py"), inject);
        Files.writeString(escaping, "#!/bin/sh\nexec '" + PoolFixture.PYTHON + "' '" + dir.resolve("inject.py") + "'\n");
        Files.setPosixFilePermissions(escaping, PosixFilePermissions.fromString("rwx------"));
        try (PoolFixture fixture = PoolFixture.start(dir.resolve("data"), "python-worker.python", escaping.toString()).awaitWarm()) {
            long first = fixture.onlyPid();
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();

            StorageException error = failure(fixture.pool.submit(sleep(7), BatchCallOptions.none()));
            assertThat(error.code()).isEqualTo(ErrorCode.WORKER_FAILED);
            assertThat(error.getMessage()).contains("changed the worker's shared database").contains("enable_logging");

            // The next call runs on a fresh worker, never on the changed one.
            assertThat(value(fixture.pool.submit(sleep(1), BatchCallOptions.none())).hasSleep()).isTrue();
            assertThat(fixture.counter("quantbot.python_worker.recycles", "cause", ProcessWorkerPool.STATE_CHANGED)).isEqualTo(1);
            assertThat(fixture.counter("quantbot.python_worker.spawns", "reason", "recycle")).isEqualTo(1);
            Await.until("the changed worker to exit", Duration.ofSeconds(10), () -> !alive(first));
            assertThat(fixture.onlyPid()).isNotEqualTo(first);
        }
    }

    private static Request sleep(int millis) {
        return Request.newBuilder().setSleep(SleepOp.newBuilder().setMillis(millis)).build();
    }
}
