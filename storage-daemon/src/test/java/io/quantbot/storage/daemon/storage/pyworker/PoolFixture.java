package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.util.Modules;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.batch.BatchEngine;
import io.quantbot.storage.daemon.config.ConfigProperty;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.PythonWorkerConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A pool of real Python workers over a temporary data dir, assembled by {@link PythonWorkerModule} with
 * the daemon's real Readiness and a simple meter registry, as the storage layer will have it.
 */
final class PoolFixture implements AutoCloseable {
    /** The venv the python-worker build makes (mvn -pl proto,python-worker install). */
    static final Path PYTHON = Path.of("..", "python-worker", ".venv", "bin", "python").toAbsolutePath().normalize();

    final Path dataDir;
    final Readiness readiness = new Readiness();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PythonWorkerConfig config;
    final DatabaseConfig database;
    final ProcessWorkerPool pool;
    final BatchEngine engine;

    private PoolFixture(Path dataDir, Map<String, String> settings, PoolClock clock) {
        this.dataDir = dataDir;
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("data-dir", dataDir.toString());
        flags.put("python-worker.python", PYTHON.toString());
        flags.put("python-worker.pool-size", "1");
        flags.put("python-worker.memory-limit", "256MB");
        flags.putAll(settings);
        List<ConfigProperty<?>> properties = new ArrayList<>(DatabaseConfig.PROPERTIES);
        properties.addAll(PythonWorkerConfig.PROPERTIES);
        ResolvedConfig resolved = ResolvedConfig.of(properties, flags);
        this.database = DatabaseConfig.from(resolved);
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                bind(ResolvedConfig.class).toInstance(resolved);
                bind(DatabaseConfig.class).toInstance(database);
                bind(Readiness.class).toInstance(readiness);
                bind(MeterRegistry.class).toInstance(registry);
                install(clock == null
                        ? new PythonWorkerModule()
                        : Modules.override(new PythonWorkerModule()).with(binder -> binder.bind(PoolClock.class).toInstance(clock)));
            }
        });
        this.config = injector.getInstance(PythonWorkerConfig.class);
        this.pool = injector.getInstance(ProcessWorkerPool.class);
        this.engine = injector.getInstance(BatchEngine.class);
        assertThat(injector.getInstance(PythonWorkerPool.class)).isSameAs(pool);
    }

    /** Starts the pool; settings are key, value pairs over the test defaults (one worker, 256MB). */
    static PoolFixture start(Path dataDir, String... settings) throws Exception {
        return start(null, dataDir, settings);
    }

    /** Starts the pool on {@code clock} (the system clock when null): with a fake one, no timer fires until the test moves time. */
    static PoolFixture start(PoolClock clock, Path dataDir, String... settings) throws Exception {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < settings.length; i += 2) {
            map.put(settings[i], settings[i + 1]);
        }
        if (!map.containsKey("python-worker.python") && !Files.isExecutable(PYTHON)) {
            throw new IllegalStateException("no python worker venv at " + PYTHON
                    + ": build it first with mvn -q -B -pl proto,python-worker install -DskipTests");
        }
        PoolFixture fixture = new PoolFixture(dataDir, map, clock);
        fixture.pool.start();
        return fixture;
    }

    PoolFixture awaitWarm() throws InterruptedException {
        Await.until("the python workers to be warm", Duration.ofSeconds(60),
                () -> !readiness.reasons().containsKey(ProcessWorkerPool.READINESS_CONDITION));
        return this;
    }

    Path imports() {
        return dataDir.resolve("imports");
    }

    double counter(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).counter().count();
    }

    double counter(String name) {
        return registry.get(name).counter().count();
    }

    double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    long onlyPid() {
        List<Long> pids = pool.workerPids();
        assertThat(pids).hasSize(1);
        return pids.get(0);
    }

    static <T> T value(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("the call failed: " + e.getCause(), e.getCause());
        }
    }

    /** The StorageException the future fails with (within 30 s). */
    static StorageException failure(CompletableFuture<?> future) throws Exception {
        try {
            Object value = future.get(30, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StorageException storage) {
                return storage;
            }
            throw new AssertionError("expected a StorageException, got " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("the call did not finish within 30 s", e);
        }
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** SIGSTOP / SIGCONT: a worker that neither answers nor exits. */
    static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
        // kill returns once the signal is sent; the process stops (or continues) when it is next scheduled, which on
        // a loaded machine is later. Wait for the state the test means, as /proc shows it (T = stopped).
        if (signal.equals("STOP") || signal.equals("CONT")) {
            boolean stop = signal.equals("STOP");
            Await.until("process " + pid + (stop ? " stopped" : " running again"), Duration.ofSeconds(10),
                    () -> !alive(pid) || stopped(pid) == stop);
        }
    }

    /** Whether /proc says the process is stopped (state T or t). */
    private static boolean stopped(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'T' || state == 't';
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws Exception {
        pool.stop();
    }
}
