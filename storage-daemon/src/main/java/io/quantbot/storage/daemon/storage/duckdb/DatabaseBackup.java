package io.quantbot.storage.daemon.storage.duckdb;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
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
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An online backup of the data dir into a new folder: the database is copied by DuckDB itself
 * (COPY FROM DATABASE) on the writer thread, so it is a consistent snapshot of everything committed
 * before it; the lake's files are immutable and are hard-linked (copied across file systems). The
 * result is a data dir a daemon can start on.
 */
@Singleton
public final class DatabaseBackup {
    private static final Logger log = LoggerFactory.getLogger(DatabaseBackup.class);

    private final GroupCommitWriter writer;
    private final DatabaseConfig config;

    @Inject
    public DatabaseBackup(GroupCommitWriter writer, DatabaseConfig config) {
        this.writer = requireNonNull(writer, "writer is null");
        this.config = requireNonNull(config, "config is null");
    }

    public record Result(Path target, long lakeFiles, long millis) {}

    public Result backupTo(Path target) {
        Path destination = target.toAbsolutePath().normalize();
        if (config.databaseFile().isEmpty()) {
            throw StorageException.of(ErrorCode.INVALID_ARGUMENT, "the database is in memory (duckdb.path=:memory:): there is nothing to back up");
        }
        if (destination.startsWith(config.dataDir())) {
            throw StorageException.of(ErrorCode.INVALID_ARGUMENT, "the backup folder must be outside the data dir " + config.dataDir());
        }
        try {
            Files.createDirectories(destination.getParent());
            Files.createDirectory(destination);
        } catch (FileAlreadyExistsException e) {
            throw StorageException.of(ErrorCode.INVALID_ARGUMENT, "the backup folder " + destination + " already exists; pick a new one");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the backup folder " + destination + ": " + e.getMessage(), e);
        }
        long start = System.nanoTime();
        Path database = destination.resolve("quantbot.duckdb");
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
        long files = linkLake(config.lakeDir(), destination.resolve("lake"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        log.info("Backed up the data dir to {} ({} lake files) in {} ms", destination, files, millis);
        return new Result(destination, files, millis);
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

    private static long linkLake(Path lake, Path target) {
        if (!Files.isDirectory(lake)) {
            return 0;
        }
        long[] count = {0};
        try (Stream<Path> paths = Files.walk(lake)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path copy = target.resolve(lake.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(copy);
                } else if (!source.getFileName().toString().endsWith(".tmp")) {
                    try {
                        Files.createLink(copy, source);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(source, copy, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                    count[0]++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("copying the lake failed: " + e.getMessage(), e);
        }
        return count[0];
    }
}
