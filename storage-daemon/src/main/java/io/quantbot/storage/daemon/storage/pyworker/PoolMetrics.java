package io.quantbot.storage.daemon.storage.pyworker;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/** The pool's meters (quantbot_python_worker_*); docs/operations.md lists them. */
final class PoolMetrics {
    /** Why the pool replaced a worker it did not mean to lose. */
    static final List<String> REPLACEMENT_CAUSES = List.of(
            "crashed", "broke_framing", "start_failed", "start_timeout", "cancel_timeout", "unresponsive", "stopped", "unaccepted");
    /** Recycle cause: a request changed the worker's shared database (the worker sent retire_reason). */
    static final String STATE_CHANGED = "state_changed";
    /** Why the pool retired a worker that still answered. */
    static final List<String> RECYCLE_CAUSES = List.of("max_requests", "max_rss", STATE_CHANGED);

    private final MeterRegistry registry;
    private final Counter spawnStorms;
    private final Counter redispatches;
    private final Counter completionsInline;

    /** What the gauges read (under the pool's monitor where it needs one). */
    interface Gauges {
        boolean inStorm();

        int queueDepth();

        int workersReady();

        int workersBusy();

        int poolSize();
    }

    PoolMetrics(MeterRegistry registry, Gauges state) {
        this.registry = requireNonNull(registry, "registry is null");
        requireNonNull(state, "state is null");
        this.spawnStorms = Counter.builder("quantbot.python_worker.spawn_storms")
                .description("Times the pool hit python-worker.spawn-storm-limit spawns per minute and held respawns back")
                .register(registry);
        this.redispatches = Counter.builder("quantbot.python_worker.redispatches")
                .description("Calls handed to another worker because theirs ended or was killed before it acknowledged (and so ran) them")
                .register(registry);
        this.completionsInline = Counter.builder("quantbot.python_worker.completions_inline")
                .description("Completions run by a worker's reader thread because python-worker.completion-queue was full")
                .register(registry);
        gauge("quantbot.python_worker.spawn_storm", "1 while the pool is in a spawn storm (readiness not ready, respawns held back), else 0",
                () -> state.inStorm() ? 1 : 0);
        gauge("quantbot.python_worker.queue_depth", "Coarse calls waiting for a free python worker", state::queueDepth);
        gauge("quantbot.python_worker.workers_ready", "Python workers that answered Ready and take calls (idle or busy)", state::workersReady);
        gauge("quantbot.python_worker.workers_busy", "Python workers running a call", state::workersBusy);
        gauge("quantbot.python_worker.pool_size", "Configured number of python workers (python-worker.pool-size)", state::poolSize);
        REPLACEMENT_CAUSES.forEach(this::replacements);
        RECYCLE_CAUSES.forEach(this::recycles);
    }

    void spawnStorm() {
        spawnStorms.increment();
    }

    void redispatched() {
        redispatches.increment();
    }

    void completedInline() {
        completionsInline.increment();
    }

    void replaced(String cause) {
        replacements(cause).increment();
    }

    void recycled(String cause) {
        recycles(cause).increment();
    }

    /** One coarse call from submit to completion (queue wait included), by op and outcome. */
    void record(String op, String outcome, long nanos) {
        Timer.builder("quantbot.python_worker.request")
                .description("Coarse calls through the python worker pool, from submit to completion (queue wait included), by op and outcome")
                .tag("op", op)
                .tag("outcome", outcome)
                .serviceLevelObjectives(ms(1), ms(5), ms(25), ms(100), ms(500), ms(2_500), ms(10_000), ms(60_000), ms(600_000))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter replacements(String cause) {
        return Counter.builder("quantbot.python_worker.replacements")
                .description("Python workers killed or lost and replaced, by cause")
                .tag("cause", cause)
                .register(registry);
    }

    private Counter recycles(String cause) {
        return Counter.builder("quantbot.python_worker.recycles")
                .description("Python workers retired and replaced while answering, by cause (max_requests, max_rss,"
                        + " state_changed: a request changed the worker's shared database)")
                .tag("cause", cause)
                .register(registry);
    }

    private void gauge(String name, String description, IntSupplier value) {
        Gauge.builder(name, value, IntSupplier::getAsInt).description(description).strongReference(true).register(registry);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
