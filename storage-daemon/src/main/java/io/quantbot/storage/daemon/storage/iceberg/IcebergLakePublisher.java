package io.quantbot.storage.daemon.storage.iceberg;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.storage.LakeOutbox;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's lake publisher: drains the catalog's {@link LakeOutbox} into the Iceberg tables. After each catalog
 * commit it is nudged and appends the new artifacts' files (retires superseded or tombstoned ones) at once; at start
 * and every {@link #INTERVAL} it reconciles whatever a crashed daemon left pending, in bounded batches. Each entry is
 * claimed under a row lock other daemons skip, and {@link IcebergLake}'s snapshot summary recognises an artifact
 * appended already, so nothing is appended twice. An Iceberg commit that still conflicts with other daemons' commits
 * after Iceberg's own retries is retried here with backoff and counted.
 */
public final class IcebergLakePublisher {
    /** How often every daemon reconciles the outbox. */
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    /** Entries one reconcile pass handles at most (the next pass, or a nudge, continues). */
    public static final int BATCH = 100;
    /** The artifact types with an Iceberg table (a fixed schema); features and reports stay files. */
    public static final Set<String> TABLE_TYPES = Set.of(ArtifactTypes.RUN_RESULTS_TYPE, ArtifactTypes.OHLCV_SLICE_TYPE, ArtifactTypes.ALERTS_TYPE);
    static final int ATTEMPTS = 6;
    private static final Logger log = LoggerFactory.getLogger(IcebergLakePublisher.class);

    private final LakeOutbox outbox;
    private final MeterRegistry registry;
    private final java.util.function.Supplier<JdbcCatalog> opener;
    private IcebergLake lake;
    private AutoCloseable catalog;
    private final Duration backoff;
    private final Counter appends;
    private final Counter retirements;
    private final Counter conflicts;
    private final Counter failures;
    private final Timer latency;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicBoolean nudged = new AtomicBoolean();
    private ScheduledExecutorService executor;
    private boolean closed;

    public IcebergLakePublisher(IcebergLake lake, LakeOutbox outbox, AutoCloseable catalog, Duration backoff, MeterRegistry registry) {
        this(requireNonNull(lake, "lake is null"), outbox, catalog, backoff, registry, null);
    }

    private IcebergLakePublisher(IcebergLake lake, LakeOutbox outbox, AutoCloseable catalog, Duration backoff, MeterRegistry registry,
            java.util.function.Supplier<JdbcCatalog> opener) {
        this.lake = lake;
        this.outbox = requireNonNull(outbox, "outbox is null");
        this.catalog = catalog;
        this.registry = requireNonNull(registry, "registry is null");
        this.opener = opener;
        this.backoff = requireNonNull(backoff, "backoff is null");
        this.appends = commits(registry, "append");
        this.retirements = commits(registry, "retire");
        this.conflicts = Counter.builder("quantbot.lake.commit_conflicts")
                .description("Cluster mode: Iceberg commits of the lake that conflicted with other daemons' commits and were retried with backoff")
                .register(registry);
        this.failures = Counter.builder("quantbot.lake.publish_failures")
                .description("Cluster mode: lake publishes that failed and stay pending for the next reconcile")
                .register(registry);
        this.latency = Timer.builder("quantbot.lake.commit_latency")
                .description("Cluster mode: time to append an artifact to (or retire it from) its Iceberg table, retries included")
                .register(registry);
        Gauge.builder("quantbot.lake.pending", pending, AtomicLong::get)
                .description("Cluster mode: registered artifacts not in the Iceberg lake yet plus retired ones still in it (as of the last reconcile)")
                .register(registry);
    }

    /**
     * The cluster's publisher: an Iceberg JdbcCatalog on the cluster's PostgreSQL (its own iceberg_tables), tables under
     * {@code <cluster.warehouse>/iceberg}. The password goes to the catalog, never to a log line.
     */
    public static IcebergLakePublisher create(ClusterConfig cluster, LakeOutbox outbox, MeterRegistry registry) {
        // Opened on first use (start), after PostgresStorage has connected and migrated: building the injector needs no database.
        return new IcebergLakePublisher(null, outbox, null, Duration.ofMillis(50), registry, () -> open(cluster));
    }

    private static JdbcCatalog open(ClusterConfig cluster) {
        JdbcCatalog catalog = new JdbcCatalog();
        Map<String, String> properties = new HashMap<>();
        properties.put(CatalogProperties.URI, cluster.postgresUrl());
        properties.put("jdbc.user", cluster.postgresUser());
        properties.put("jdbc.password", cluster.postgresPassword().reveal());
        properties.put("jdbc.schema-version", "V1");
        properties.put(CatalogProperties.WAREHOUSE_LOCATION, warehouse(cluster).toUri().toString());
        properties.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
        catalog.initialize("quantbot", properties);
        log.info("Iceberg lake: JDBC catalog at {} (user {}), tables under {}", cluster.postgresUrl(), cluster.postgresUser(), warehouse(cluster));
        return catalog;
    }

    /** Where the Iceberg tables live: {@code <cluster.warehouse>/iceberg/quantbot/<type>}. */
    public static Path warehouse(ClusterConfig cluster) {
        return Path.of(cluster.warehouse()).toAbsolutePath().normalize().resolve("iceberg");
    }

    /** The lake, its JDBC catalog opened on first use. */
    public synchronized IcebergLake lake() {
        if (lake == null) {
            JdbcCatalog opened = opener.get();
            catalog = opened;
            lake = new IcebergLake(opened, registry);
        }
        return lake;
    }

    /** Reconciles now and every {@link #INTERVAL}, and after every catalog commit. */
    public synchronized void start() {
        lake();
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "iceberg-lake-publisher");
            thread.setDaemon(true);
            return thread;
        });
        outbox.onCommitted(this::nudge);
        executor.scheduleWithFixedDelay(this::reconcileQuietly, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    public synchronized void stop() throws Exception {
        if (executor != null) {
            executor.shutdownNow();
            executor.awaitTermination(10, TimeUnit.SECONDS);
            executor = null;
        }
        if (catalog != null && !closed) {
            closed = true;
            catalog.close();
        }
    }

    /** Asks for a reconcile pass soon (coalesced: one queued pass serves many commits). */
    public void nudge() {
        ScheduledExecutorService current = executor;
        if (current != null && nudged.compareAndSet(false, true)) {
            try {
                current.execute(() -> {
                    nudged.set(false);
                    reconcileQuietly();
                });
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                nudged.set(false);
            }
        }
    }

    /** One pass: publishes or retires up to {@code max} pending entries; returns how many it finished. */
    public int reconcile(int max) {
        int done = 0;
        try {
            while (done < max && outbox.claimNext(TABLE_TYPES, this::apply)) {
                done++;
            }
        } finally {
            pending.set(outbox.pendingCount(TABLE_TYPES));
        }
        return done;
    }

    private void reconcileQuietly() {
        try {
            while (reconcile(BATCH) == BATCH) {
                // a full batch: more may wait
            }
        } catch (RuntimeException e) {
            failures.increment();
            log.warn("Publishing to the Iceberg lake failed; the entries stay pending for the next reconcile", e);
        }
    }

    /** Appends or retires one entry, retrying conflicting commits with backoff; returns the snapshot to record. */
    long apply(LakeOutbox.Pending entry) {
        String location = entry.file().toUri().toString();
        IcebergLake lake = lake();
        return latency.record(() -> withRetries(() -> {
            if (entry.retire()) {
                lake.retire(entry.artifact(), location);
                retirements.increment();
                return lake.currentSnapshotId(entry.artifact().type());
            }
            try {
                IcebergLake.Published published = lake.publish(entry.artifact(), location, "catalog:" + entry.artifact().id());
                if (published.committed()) {
                    appends.increment();
                }
                return published.snapshotId();
            } catch (StorageException e) {
                if (e.code() == ErrorCode.INVALID_ARGUMENT) {
                    log.warn("Artifact {} cannot be in its Iceberg table and is marked so (-1)", entry.artifact().id(), e);
                    return -1L;
                }
                throw e;
            }
        }));
    }

    /** Runs a commit, again after a conflict (or an unknown outcome, which a retry recognises), with doubling backoff. */
    long withRetries(java.util.function.LongSupplier commit) {
        long wait = backoff.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return commit.getAsLong();
            } catch (StorageException e) {
                boolean retryable = e.getCause() instanceof CommitFailedException || e.getCause() instanceof CommitStateUnknownException;
                if (!retryable || attempt >= ATTEMPTS) {
                    throw e;
                }
                if (e.getCause() instanceof CommitFailedException) {
                    conflicts.increment();
                }
                try {
                    Thread.sleep(wait + java.util.concurrent.ThreadLocalRandom.current().nextLong(wait + 1));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                wait = Math.min(wait * 2, 2000);
            }
        }
    }

    private static Counter commits(MeterRegistry registry, String op) {
        return Counter.builder("quantbot.lake.commits")
                .description("Cluster mode: Iceberg commits of the lake by this daemon (append: an artifact added; retire: a superseded or"
                        + " tombstoned one removed)")
                .tag("op", op)
                .register(registry);
    }
}
