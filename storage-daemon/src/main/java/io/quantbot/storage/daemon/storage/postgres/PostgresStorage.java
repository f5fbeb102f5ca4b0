package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.StateConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL side of cluster mode (state and the artifact catalog) as one component: connects and migrates, then purges expired state keys every
 * {@code state.purge-interval} (every daemon does; they skip each other's locked rows). Stops in reverse.
 */
@Singleton
public final class PostgresStorage {
    private static final Logger log = LoggerFactory.getLogger(PostgresStorage.class);

    private final PostgresDatabase database;
    private final PostgresStateRepository state;
    private final PostgresLakeCatalog catalog;
    private final StateConfig stateConfig;
    private final Counter purgeFailures;
    private ScheduledExecutorService maintenance;
    private volatile int schemaVersion;

    @Inject
    public PostgresStorage(PostgresDatabase database, PostgresStateRepository state, PostgresLakeCatalog catalog,
            StateConfig stateConfig, MeterRegistry registry) {
        this.database = requireNonNull(database, "database is null");
        this.state = requireNonNull(state, "state is null");
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.stateConfig = requireNonNull(stateConfig, "stateConfig is null");
        this.purgeFailures = Counter.builder("quantbot.postgres.maintenance_failures")
                .description("Background purges of expired state keys in PostgreSQL that failed")
                .tag("task", "purge")
                .register(registry);
    }

    public synchronized void start() {
        schemaVersion = database.open();
        maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "postgres-maintenance");
            thread.setDaemon(true);
            return thread;
        });
        long purgeMillis = stateConfig.purgeInterval().toMillis();
        maintenance.scheduleWithFixedDelay(this::purge, purgeMillis, purgeMillis, TimeUnit.MILLISECONDS);
    }

    public synchronized void stop() throws InterruptedException {
        if (maintenance != null) {
            maintenance.shutdownNow();
            maintenance.awaitTermination(10, TimeUnit.SECONDS);
            maintenance = null;
        }
        state.stop();
        catalog.stop();
        database.close();
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    public String serverVersion() {
        return database.serverVersion();
    }

    private void purge() {
        try {
            state.purgeExpired();
        } catch (RuntimeException e) {
            purgeFailures.increment();
            log.warn("Purging expired state in PostgreSQL failed (counted; the next purge tries again)", e);
        }
    }
}
