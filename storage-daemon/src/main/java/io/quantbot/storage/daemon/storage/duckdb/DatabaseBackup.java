package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An online backup of the data dir into a new folder: the database is copied by DuckDB itself
 * (COPY FROM DATABASE) on the writer thread, so it is a consistent snapshot of everything committed
 * before it; the lake's files are immutable and are hard-linked (copied across file systems). The
 * result is a data dir a daemon can start on.
 *
 * <p>The backup is private to the daemon's user: every folder it creates is 0700 and every file 0600
 * (a hard-linked lake file shares its inode, so the lake file becomes 0600 too). The target is
 * checked on its real path: the nearest existing parent is resolved with symlinks, so a link into the
 * data dir (which would copy the lake into itself) is refused, and checked again once created. A
 * backup that fails part-way removes the folders it created.
 */
@Singleton
public final class DatabaseBackup {
    private static final Logger log = LoggerFactory.getLogger(DatabaseBackup.class);
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    /** Puts one lake file into the backup (a hard link, or a copy across file systems). */
    @FunctionalInterface
    interface FilePlacer {
        void place(Path source, Path copy) throws IOException;
    }

    private final GroupCommitWriter writer;
    private final DatabaseConfig config;
    private final FilePlacer placer;

    @Inject
    public DatabaseBackup(GroupCommitWriter writer, DatabaseConfig config) {
        this(writer, config, DatabaseBackup::linkOrCopy);
    }

    DatabaseBackup(GroupCommitWriter writer, DatabaseConfig config, FilePlacer placer) {
        this.writer = requireNonNull(writer, "writer is null");
        this.config = requireNonNull(config, "config is null");
        this.placer = requireNonNull(placer, "placer is null");
    }


    /** Backs up into {@code target}, a new folder outside the data dir (parents are created 0700 as needed). */
    public StorageMaintenance.BackupResult backupTo(Path target) {
        if (config.databaseFile().isEmpty()) {
            throw StorageException.of(ErrorCode.INVALID_ARGUMENT, "the database is in memory (duckdb.path=:memory:): there is nothing to back up");
        }
        Path requested = target.toAbsolutePath().normalize();
        Path destination = realTarget(requested);
        List<Path> created = new ArrayList<>();
        try {
            createPrivateDirectories(destination, created);
        } catch (FileAlreadyExistsException e) {
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "the backup folder " + requested + " already exists; pick a new one")
                    .violation("to", "must not exist yet").build();
        } catch (IOException e) {
            removeCreated(created);
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "cannot create the backup folder " + requested + ": " + e.getMessage())
                    .violation("to", "cannot be created").build();
        }
        try {
            // Checked again on the folder itself: a parent swapped for a symlink in the meantime is caught here.
            if (!realTarget(destination).equals(destination) || !destination.toRealPath().equals(destination)) {
                throw outside(requested);
            }
            long start = System.nanoTime();
            copyDatabase(destination.resolve("quantbot.duckdb"));
            long files = linkLake(config.lakeDir(), destination.resolve("lake"));
            makePrivate(destination);
            long millis = (System.nanoTime() - start) / 1_000_000;
            log.info("Backed up the data dir to {} ({} lake files) in {} ms", destination, files, millis);
            return new StorageMaintenance.BackupResult(destination, files, millis);
        } catch (IOException | RuntimeException e) {
            log.warn("The backup to {} failed ({}); removing what it wrote", destination, e.getMessage());
            removeCreated(created);
            if (e instanceof StorageException storage) {
                throw storage;
            }
            throw e instanceof IOException io ? new UncheckedIOException("the backup failed: " + io.getMessage(), io) : (RuntimeException) e;
        }
    }

    /**
     * The target's real location: the nearest existing ancestor resolved with symlinks, plus the
     * segments that do not exist yet; refused when that is inside the data dir, its lake or staging
     * (also on their real paths), or when the target itself already exists.
     */
    private Path realTarget(Path requested) {
        Path existing = requested;
        Deque<String> missing = new ArrayDeque<>();
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            missing.push(existing.getFileName().toString());
            existing = existing.getParent();
        }
        if (existing == null) {
            throw outside(requested);
        }
        Path real;
        try {
            real = existing.toRealPath();
        } catch (IOException e) {
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, "cannot resolve the backup folder " + requested + ": " + e.getMessage())
                    .violation("to", "cannot be resolved").build();
        }
        for (String segment : missing) {
            real = real.resolve(segment);
        }
        for (Path protectedDir : List.of(config.dataDir(), config.lakeDir(), config.dataDir().resolve("staging"))) {
            Path normalized = protectedDir.toAbsolutePath().normalize();
            if (real.startsWith(normalized) || real.startsWith(realOrSelf(normalized))) {
                throw outside(requested);
            }
        }
        return real;
    }

    private StorageException outside(Path requested) {
        return StorageException.builder(ErrorCode.PATH_NOT_ALLOWED, "the backup folder " + requested
                + " must be outside the data dir " + config.dataDir() + " (symbolic links are followed)").violation("to", "inside the data dir").build();
    }

    private static Path realOrSelf(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    /** Creates the missing ancestors and the target itself (which must be new), each 0700, remembering them. */
    private static void createPrivateDirectories(Path destination, List<Path> created) throws IOException {
        Deque<Path> toCreate = new ArrayDeque<>();
        for (Path parent = destination.getParent(); parent != null && !Files.exists(parent, LinkOption.NOFOLLOW_LINKS); parent = parent.getParent()) {
            toCreate.push(parent);
        }
        for (Path directory : toCreate) {
            createPrivateDirectory(directory);
            created.add(0, directory);
        }
        createPrivateDirectory(destination);
        created.add(0, destination);
    }

    private static void createPrivateDirectory(Path directory) throws IOException {
        Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        // The umask may have removed bits, never added them; set exactly 0700.
        Files.setPosixFilePermissions(directory, PRIVATE_DIR);
    }

    /** Removes the folders this backup created, deepest first, with everything in them (never following links). */
    private static void removeCreated(List<Path> created) {
        for (Path directory : created) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException | UncheckedIOException e) {
                log.error("Could not remove {} after a failed backup: {}", directory, e.getMessage(), e);
            }
        }
    }

    private void copyDatabase(Path database) {
        writer.execute(new WriteTask<Void>() {
            @Override
            public Void apply(WriteContext context) throws SQLException {
                execute(context, "ATTACH '" + database.toString().replace("'", "''") + "' AS quantbot_backup");
                try {
                    execute(context, "COPY FROM DATABASE \"" + currentDatabase(context).replace("\"", "\"\"") + "\" TO quantbot_backup");
                } finally {
                    execute(context, "DETACH quantbot_backup");
                }
                return null;
            }

            @Override
            public boolean transactional() {
                return false;
            }

            @Override
            public String name() {
                return "duckdb.backup";
            }
        });
    }

    private static String currentDatabase(WriteContext context) throws SQLException {
        try (Statement statement = context.connection().createStatement();
                java.sql.ResultSet result = statement.executeQuery("SELECT current_database()")) {
            result.next();
            return result.getString(1);
        }
    }

    private static void execute(WriteContext context, String sql) throws SQLException {
        try (Statement statement = context.connection().createStatement()) {
            statement.execute(sql);
        }
    }

    /** Links the lake's regular files (not *.tmp leftovers, not symlinks or other special files) into the backup. */
    private long linkLake(Path lake, Path target) throws IOException {
        if (!Files.isDirectory(lake)) {
            return 0;
        }
        long count = 0;
        try (Stream<Path> paths = Files.walk(lake)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path copy = target.resolve(lake.relativize(source).toString());
                if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                    createPrivateDirectory(copy);
                } else if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                    log.warn("Backup: skipped {}, which is not a regular file", source);
                } else if (!source.getFileName().toString().endsWith(".tmp")) {
                    placer.place(source, copy);
                    count++;
                }
            }
        }
        return count;
    }

    private static void linkOrCopy(Path source, Path copy) throws IOException {
        try {
            Files.createLink(copy, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, copy, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /** Every folder 0700 and every file 0600, including DuckDB's and the hard-linked lake files. */
    private static void makePrivate(Path destination) throws IOException {
        try (Stream<Path> paths = Files.walk(destination)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(path, PRIVATE_DIR);
                } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(path, PRIVATE_FILE);
                }
            }
        }
    }
}
