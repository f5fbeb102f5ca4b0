package io.quantbot.storage.daemon.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Where the data lives and how DuckDB is run. */
public record DatabaseConfig(
        Path dataDir,
        Optional<Path> databaseFile,
        String memoryLimit,
        int threads,
        Duration checkpointInterval,
        long checkpointWalSize,
        int groupCommitMaxBatch,
        int groupCommitQueueCapacity,
        int groupCommitCompletionThreads,
        Duration groupCommitMaxDelay,
        long lowSpaceThreshold,
        Duration readerWait,
        boolean acceptDataLoss) {

    /** The special duckdb.path value for a database that lives only in memory (tests). */
    public static final String IN_MEMORY = ":memory:";

    public static final ConfigProperty<Path> DATA_DIR = ConfigProperty.path(
            "data-dir", "./data", "Data directory: quantbot.duckdb, the Parquet lake and the staging folder; relative to the working directory.",
            ConfigProperty.PathBase.WORKING_DIRECTORY);
    public static final ConfigProperty<String> DUCKDB_PATH = ConfigProperty.of(
            "duckdb.path", "", "Database file; empty = <data-dir>/quantbot.duckdb; ':memory:' keeps it in memory (tests only: nothing survives).",
            String::trim);
    public static final ConfigProperty<String> DUCKDB_MEMORY_LIMIT = ConfigProperty.of(
            "duckdb.memory-limit", "", "DuckDB memory_limit, e.g. 4GB; empty = DuckDB's default (80% of RAM).", String::trim);
    public static final ConfigProperty<Integer> DUCKDB_THREADS = ConfigProperty.of(
            "duckdb.threads", "0", "DuckDB worker threads; 0 = DuckDB's default (all cores).", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Duration> DUCKDB_CHECKPOINT_INTERVAL = ConfigProperty.of(
            "duckdb.checkpoint-interval", "5m",
            "Forced checkpoint period. DuckDB skips automatic checkpoints while writes keep coming, so the WAL would grow without bound.",
            ConfigValueParsers::parseDuration);
    public static final ConfigProperty<Long> DUCKDB_CHECKPOINT_WAL_SIZE = ConfigProperty.of(
            "duckdb.checkpoint-wal-size", "256MiB", "Also checkpoint as soon as the WAL file is larger than this.", ConfigValueParsers::parseSize);
    public static final ConfigProperty<Integer> GROUP_COMMIT_MAX_BATCH = ConfigProperty.of(
            "group-commit.max-batch", "4096", "Most write requests applied in one transaction.", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> GROUP_COMMIT_QUEUE_CAPACITY = ConfigProperty.of(
            "group-commit.queue-capacity", "65536",
            "Write requests that may wait for the writer; past it writes fail fast with RESOURCE_EXHAUSTED (QUEUE_FULL) and a retry hint.",
            ConfigValueParsers::parseInt);

    public static final ConfigProperty<Integer> GROUP_COMMIT_COMPLETION_THREADS = ConfigProperty.of(
            "group-commit.completion-threads", "0",
            "Threads that answer callers after a commit; 0 = the writer thread answers them itself (fastest on few cores)."
                    + " Their queue holds group-commit.queue-capacity answers; past it the writer answers itself.",
            ConfigValueParsers::parseInt);

    public static final ConfigProperty<Duration> GROUP_COMMIT_MAX_DELAY = ConfigProperty.of(
            "group-commit.max-delay", "1ms",
            "How long the writer may wait for the rest of a wave of concurrent writes before committing (only when the previous"
                    + " transaction held several); 0 = commit at once.",
            value -> {
                Duration delay = ConfigValueParsers.parseDuration(value);
                if (delay.compareTo(Duration.ofMillis(50)) > 0) {
                    throw new IllegalArgumentException("must be at most 50ms, got " + value);
                }
                return delay;
            });

    public static final ConfigProperty<Long> DUCKDB_LOW_SPACE_THRESHOLD = ConfigProperty.of(
            "duckdb.low-space-threshold", "256MiB",
            "Refuse new writes with RESOURCE_EXHAUSTED (DISK_FULL) and report not ready while the file system holding the database"
                    + " (in cluster mode also the shared warehouse's) has less free space than this, so the disk never fills up under the"
                    + " WAL; writes resume by themselves once space is freed. 0 = only react to a full disk.",
            ConfigValueParsers::parseSize);

    public static final ConfigProperty<Duration> DUCKDB_READER_WAIT = ConfigProperty.of(
            "duckdb.reader-wait", "30s",
            "Longest wait for one of the pooled read connections when the call has no earlier deadline; then UNAVAILABLE"
                    + " (STORAGE_UNAVAILABLE) with a retry hint.",
            ConfigValueParsers::parseDuration);

    public static final ConfigProperty<Boolean> DUCKDB_ACCEPT_DATA_LOSS = ConfigProperty.of(
            "duckdb.accept-data-loss", "false",
            "Start even though the write-ahead log lost acknowledged commits (the start is otherwise refused with exit code 4 and"
                    + " the lost range); the loss is logged and appended to <data-dir>/data-loss.log. Set it for one start only.",
            ConfigValueParsers::parseBoolean);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(
            DATA_DIR, DUCKDB_PATH, DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS, DUCKDB_CHECKPOINT_INTERVAL, DUCKDB_CHECKPOINT_WAL_SIZE,
            DUCKDB_LOW_SPACE_THRESHOLD, DUCKDB_READER_WAIT, DUCKDB_ACCEPT_DATA_LOSS,
            GROUP_COMMIT_MAX_BATCH, GROUP_COMMIT_QUEUE_CAPACITY, GROUP_COMMIT_COMPLETION_THREADS, GROUP_COMMIT_MAX_DELAY);

    public static DatabaseConfig from(ResolvedConfig config) {
        Path dataDir = config.get(DATA_DIR).toAbsolutePath().normalize();
        String path = config.get(DUCKDB_PATH);
        Optional<Path> databaseFile;
        if (path.equals(IN_MEMORY)) {
            databaseFile = Optional.empty();
        } else if (path.isEmpty()) {
            databaseFile = Optional.of(dataDir.resolve("quantbot.duckdb"));
        } else {
            databaseFile = Optional.of(Path.of(path).toAbsolutePath().normalize());
        }
        ConfigException.throwIfAny(problems(config));
        return new DatabaseConfig(
                dataDir,
                databaseFile,
                config.get(DUCKDB_MEMORY_LIMIT),
                config.get(DUCKDB_THREADS),
                config.get(DUCKDB_CHECKPOINT_INTERVAL),
                config.get(DUCKDB_CHECKPOINT_WAL_SIZE),
                config.get(GROUP_COMMIT_MAX_BATCH),
                config.get(GROUP_COMMIT_QUEUE_CAPACITY),
                config.get(GROUP_COMMIT_COMPLETION_THREADS),
                config.get(GROUP_COMMIT_MAX_DELAY),
                config.get(DUCKDB_LOW_SPACE_THRESHOLD),
                config.get(DUCKDB_READER_WAIT),
                config.get(DUCKDB_ACCEPT_DATA_LOSS));
    }

    /** Every bad value of this area, each named by its key (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        if (config.get(DATA_DIR).toString().isEmpty()) {
            problems.add(ConfigChecks.describe(config, DATA_DIR) + " must not be empty");
        }
        ConfigChecks.atLeast(problems, config, DUCKDB_THREADS, 0);
        ConfigChecks.positive(problems, config, DUCKDB_CHECKPOINT_INTERVAL);
        ConfigChecks.atLeast(problems, config, DUCKDB_CHECKPOINT_WAL_SIZE, 1);
        ConfigChecks.atLeast(problems, config, GROUP_COMMIT_MAX_BATCH, 1);
        ConfigChecks.atLeast(problems, config, GROUP_COMMIT_QUEUE_CAPACITY, 1);
        ConfigChecks.atLeast(problems, config, GROUP_COMMIT_COMPLETION_THREADS, 0);
        return problems;
    }

    public Path lakeDir() {
        return dataDir.resolve("lake");
    }

    public Path stagingDir() {
        return dataDir.resolve("staging");
    }
}
