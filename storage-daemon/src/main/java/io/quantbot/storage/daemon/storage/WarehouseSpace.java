package io.quantbot.storage.daemon.storage;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's shared warehouse as a place to write (issue 13): it may be another file system than the node's data
 * dir (a shared mount), and it can fill up or go away on its own. Probed every 2 s: readiness condition
 * {@value #READINESS_CONDITION} is down while it is unreachable or has less free space than
 * {@code duckdb.low-space-threshold}; before an artifact's file is placed there, {@link #requireSpace} refuses the write
 * with {@code DISK_FULL} (RESOURCE_EXHAUSTED, retry later) instead of filling the disk, and {@link #refusal} turns an
 * ENOSPC/EDQUOT met while writing into the same answer. Writes resume by themselves once space is freed.
 */
@Singleton
public final class WarehouseSpace {
    public static final String READINESS_CONDITION = "warehouse";
    static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(WarehouseSpace.class);

    private final Path warehouse;
    private final long threshold;
    private final Readiness readiness;
    private final AtomicLong free = new AtomicLong(-1);
    private final Counter refused;
    private ScheduledExecutorService probe;

    @Inject
    public WarehouseSpace(ClusterConfig cluster, DatabaseConfig database, Readiness readiness, MeterRegistry registry) {
        this(Path.of(cluster.warehouse()).toAbsolutePath().normalize(), database.lowSpaceThreshold(), readiness, registry);
    }

    WarehouseSpace(Path warehouse, long threshold, Readiness readiness, MeterRegistry registry) {
        this.warehouse = requireNonNull(warehouse, "warehouse is null");
        this.threshold = threshold;
        this.readiness = requireNonNull(readiness, "readiness is null");
        Gauge.builder("quantbot.warehouse.free_space", free, AtomicLong::get).baseUnit("bytes")
                .description("Cluster mode: bytes free for this daemon on the file system of the shared warehouse (-1 while it is unreachable)")
                .register(registry);
        this.refused = Counter.builder("quantbot.warehouse.disk_full")
                .description("Cluster mode: artifact writes refused with DISK_FULL because the warehouse was full or below duckdb.low-space-threshold")
                .register(registry);
    }

    public synchronized void start() {
        check();
        probe = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "warehouse-probe");
            thread.setDaemon(true);
            return thread;
        });
        probe.scheduleWithFixedDelay(this::checkQuietly, PROBE_INTERVAL.toMillis(), PROBE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    public synchronized void stop() {
        if (probe != null) {
            probe.shutdownNow();
            probe = null;
        }
    }

    /** Refuses (DISK_FULL) a write of about {@code bytes} that would leave the warehouse under the threshold, or that cannot be placed at all. */
    public void requireSpace(long bytes) {
        long available = check();
        if (available < 0) {
            throw StorageException.builder(ErrorCode.STORAGE_UNAVAILABLE, "the warehouse " + warehouse + " cannot be reached; retry once it is back")
                    .retryAfter(PROBE_INTERVAL).build();
        }
        if (available < threshold + Math.max(0, bytes)) {
            refused.increment();
            throw diskFull(available + " bytes free, " + bytes + " to write and duckdb.low-space-threshold " + threshold);
        }
    }

    /** The answer for a failure met while writing to the warehouse: DISK_FULL when the file system was full, else the failure. */
    public RuntimeException refusal(RuntimeException failure) {
        if (!DiskFull.isDiskFull(failure)) {
            return failure;
        }
        refused.increment();
        check();
        return diskFull("the file system is full (" + failure.getMessage() + ")");
    }

    private StorageException diskFull(String why) {
        return StorageException.builder(ErrorCode.DISK_FULL, "the shared warehouse " + warehouse + " has no room for this write: " + why
                        + "; free space there (or raise its quota), then retry: nothing of this write was kept")
                .retryAfter(Duration.ofSeconds(5)).build();
    }

    /** Looks at the warehouse now, updates readiness and the gauge; answers the bytes free, -1 when unreachable. */
    long check() {
        long available;
        try {
            if (!Files.isDirectory(warehouse)) {
                throw new IOException("not a folder (is the shared file system mounted?)");
            }
            available = Files.getFileStore(warehouse).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            free.set(-1);
            readiness.markNotReady(READINESS_CONDITION, "the warehouse " + warehouse + " cannot be reached: " + e.getMessage());
            return -1;
        }
        free.set(available);
        if (threshold > 0 && available < threshold) {
            readiness.markNotReady(READINESS_CONDITION, "the warehouse " + warehouse + " has " + available + " bytes free, under"
                    + " duckdb.low-space-threshold (" + threshold + " bytes): artifact writes are refused with DISK_FULL");
        } else {
            readiness.markReady(READINESS_CONDITION);
        }
        return available;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            log.warn("Probing the warehouse {} failed", warehouse, e);
        }
    }
}
