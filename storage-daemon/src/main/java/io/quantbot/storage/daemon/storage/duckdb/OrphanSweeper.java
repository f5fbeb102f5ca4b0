package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.batch.SnapshotUploads;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.config.LakeConfig;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what killed imports and publishes leave behind: files under lake/ that no catalog entry
 * names (Parquet files, sidecars, {@code *.tmp} leftovers of an interrupted write) and files in
 * staging/ no call is using any more. Only files older than lake.orphan-grace-period go, so a publish
 * in flight (its file is in the lake but not yet registered) is never touched; a file a catalog entry
 * names never goes, whatever its age. Runs at start (after the catalog is loaded) and on demand
 * (POST /admin/sweep-orphans); each removed file is logged and counted in
 * {@code quantbot_lake_orphans_removed_total}.
 */
@Singleton
public final class OrphanSweeper {
    private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

    /** What a sweep removed (data-dir-relative paths) and how many unnamed files it kept for being recent. */

    private final DuckDbLakeCatalog catalog;
    private final Path dataDir;
    private final Path lakeDir;
    private final Path stagingDir;
    private final LakeConfig config;
    private final Clock clock;
    private final Counter removedFiles;

    @Inject
    public OrphanSweeper(DuckDbLakeCatalog catalog, DatabaseConfig database, LakeConfig config, Clock clock, MeterRegistry registry) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.dataDir = database.dataDir();
        this.lakeDir = database.lakeDir();
        this.stagingDir = database.stagingDir();
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.removedFiles = Counter.builder("quantbot.lake.orphans.removed")
                .description("Files removed from lake/ and staging/ because no catalog entry names them (older than lake.orphan-grace-period)")
                .register(registry);
    }

    public synchronized StorageMaintenance.OrphanSweep sweep() {
        long cutoff = clock.millis() - config.orphanGracePeriod().toMillis();
        Set<String> named = catalog.namedPaths();
        List<String> removed = new ArrayList<>();
        long[] bytes = {0};
        int[] recent = {0};
        sweep(lakeDir, cutoff, named, false, removed, bytes, recent);
        sweep(stagingDir, cutoff, Set.of(), true, removed, bytes, recent);
        if (!removed.isEmpty()) {
            log.info("Removed {} orphaned files ({} bytes) no catalog entry names, older than {}: {}", removed.size(), bytes[0],
                    config.orphanGracePeriod(), removed);
        }
        if (recent[0] > 0) {
            log.info("Kept {} unnamed files younger than lake.orphan-grace-period ({}): they may belong to a call in flight", recent[0],
                    config.orphanGracePeriod());
        }
        return new StorageMaintenance.OrphanSweep(List.copyOf(removed), bytes[0], recent[0]);
    }

    private void sweep(Path root, long cutoff, Set<String> named, boolean skipHidden, List<String> removed, long[] bytes, int[] recent) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root)) {
            paths.filter(path -> !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)).forEach(candidates::add);
        } catch (IOException | UncheckedIOException e) {
            log.warn("Cannot list {} for orphans: {}", root, e.getMessage(), e);
            return;
        }
        Path uploads = SnapshotUploads.uploadsDir(stagingDir);
        for (Path file : candidates) {
            // An upload in progress may be older than the grace period; uploads remove their own folders (and the next
            // start removes what a crash left), so the sweep never touches them.
            if (file.startsWith(uploads)) {
                continue;
            }
            String relative = dataDir.relativize(file).toString();
            if (named.contains(relative) || (skipHidden && hidden(root, file))) {
                continue;
            }
            try {
                long size = Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? Files.size(file) : 0;
                if (Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis() > cutoff) {
                    recent[0]++;
                    continue;
                }
                // The catalog may have named it since the sweep began (a registration that just committed).
                if (catalog.namedPaths().contains(relative)) {
                    continue;
                }
                Files.delete(file);
                removed.add(relative);
                bytes[0] += size;
                removedFiles.increment();
            } catch (IOException e) {
                log.warn("Cannot remove the orphaned file {}: {}", file, e.getMessage(), e);
            }
        }
    }

    private static boolean hidden(Path root, Path file) {
        for (Path part : root.relativize(file)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
