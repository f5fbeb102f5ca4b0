package io.quantbot.storage.daemon.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The warm pool of Python DuckDB workers that serves the coarse ArtifactPort calls (ImportSnapshot,
 * PublishArtifact, Query, AnalyzeSweep, GenerateFeatures, GenerateReport).
 *
 * @param poolSize worker processes kept warm; 0 disables the pool
 * @param python the interpreter, absolute (the default resolved against the installation, a value set against the working directory)
 * @param importRoots absolute folders ImportSnapshot and PublishArtifact may read from
 * @param maxRequests requests per worker before it is recycled; 0 = never
 * @param maxRss resident memory above which a worker is recycled; 0 = no limit
 * @param memoryLimit DuckDB memory_limit inside each worker ("1GB")
 * @param threads DuckDB threads inside each worker
 * @param spawnStormLimit spawns per minute above which the pool reports a spawn storm
 * @param acceptTimeout how long a worker may take to acknowledge a request (Accepted) before it is
 *     killed and the request handed to another worker
 * @param completionThreads threads that complete callers' futures and write Cancel frames
 * @param completionQueue completions that may wait for those threads; past it the submitting thread runs them
 * @param queryTimeout time limit of a Query whose client sent no deadline
 * @param dataLimit the worker process's RLIMIT_DATA (heap and anonymous mappings); 0 = none
 */
public record PythonWorkerConfig(
        int poolSize,
        Path python,
        List<Path> importRoots,
        int queueCapacity,
        Duration defaultTimeout,
        Duration cancelGrace,
        Duration pingInterval,
        int maxRequests,
        long maxRss,
        Duration startTimeout,
        String memoryLimit,
        int threads,
        int spawnStormLimit,
        Duration acceptTimeout,
        int completionThreads,
        int completionQueue,
        Duration queryTimeout,
        long dataLimit) {

    /** The sizes DuckDB's memory_limit accepts (and the worker checks again). */
    private static final Pattern DUCKDB_SIZE = Pattern.compile("\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", Pattern.CASE_INSENSITIVE);
    private static final int MAX_POOL_SIZE = 64;
    private static final long MIN_DATA_LIMIT = 512L << 20;

    public static final ConfigProperty<Integer> POOL_SIZE = ConfigProperty.of(
            "python-worker.pool-size", "2",
            "Python DuckDB worker processes started with the daemon for the coarse calls (ImportSnapshot, PublishArtifact, Query,"
                    + " AnalyzeSweep, GenerateFeatures, GenerateReport); 0 disables the pool and those calls fail with UNAVAILABLE.",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Path> PYTHON = ConfigProperty.path(
            "python-worker.python", "python-worker/.venv/bin/python",
            "Python interpreter of the workers: the venv made by the python-worker build (python-worker/setup-venv.sh)."
                    + " The default is found beside the installation (the checkout or folder of storage-daemon.jar), whatever the"
                    + " working directory; a relative path you set is resolved against the working directory.",
            ConfigProperty.PathBase.INSTALLATION);
    public static final ConfigProperty<List<String>> IMPORT_ROOTS = ConfigProperty.of(
            "python-worker.import-roots", "",
            "Comma-separated folders that ImportSnapshot and PublishArtifact may read from; a source path must resolve inside one"
                    + " (no '..', no symlink escapes). Empty = <data-dir>/imports.",
            ConfigValueParsers::parseList);
    public static final ConfigProperty<Integer> QUEUE_CAPACITY = ConfigProperty.of(
            "python-worker.queue-capacity", "64",
            "Coarse calls that may wait for a free worker; past it calls fail fast with RESOURCE_EXHAUSTED (QUEUE_FULL) and a retry hint.",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Duration> DEFAULT_TIMEOUT = ConfigProperty.of(
            "python-worker.default-timeout", "10m",
            "Time limit of a coarse call whose client sent no deadline (a client deadline is passed on to the worker as is).",
            ConfigValueParsers::parseDuration);
    public static final ConfigProperty<Duration> CANCEL_GRACE = ConfigProperty.of(
            "python-worker.cancel-grace", "5s",
            "After a client cancel or a passed deadline, how long a worker may take to stop its request before it is killed and"
                    + " replaced; also how long a graceful stop waits for workers to exit.",
            ConfigValueParsers::parseDuration);
    public static final ConfigProperty<Duration> PING_INTERVAL = ConfigProperty.of(
            "python-worker.ping-interval", "15s",
            "Health ping of idle workers; a worker that has not answered the previous ping by the next one is killed and replaced.",
            ConfigValueParsers::parseDuration);
    public static final ConfigProperty<Integer> MAX_REQUESTS = ConfigProperty.of(
            "python-worker.max-requests", "1000",
            "Requests a worker serves before it is recycled (replaced by a fresh process); 0 = never.",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Long> MAX_RSS = ConfigProperty.of(
            "python-worker.max-rss", "2GiB",
            "A worker whose resident memory (reported with each ping answer) is above this is recycled; 0 = no limit.",
            ConfigValueParsers::parseSize);
    public static final ConfigProperty<Duration> START_TIMEOUT = ConfigProperty.of(
            "python-worker.start-timeout", "60s",
            "How long a starting worker may take to answer Ready before it is killed and replaced.",
            ConfigValueParsers::parseDuration);
    public static final ConfigProperty<String> MEMORY_LIMIT = ConfigProperty.of(
            "python-worker.memory-limit", "1GB", "DuckDB memory_limit inside each worker (e.g. 512MB, 2GB).", String::trim);
    public static final ConfigProperty<Integer> THREADS = ConfigProperty.of(
            "python-worker.threads", "1", "DuckDB threads inside each worker; 0 = DuckDB's default (all cores).",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> SPAWN_STORM_LIMIT = ConfigProperty.of(
            "python-worker.spawn-storm-limit", "10",
            "Worker spawns per minute the pool allows itself; past it readiness turns not ready (condition python-workers), a"
                    + " warning is logged, quantbot_python_worker_spawn_storms_total counts it and respawns wait instead of looping.",
            ConfigValueParsers::parseInt);

    public static final ConfigProperty<Duration> ACCEPT_TIMEOUT = ConfigProperty.of(
            "python-worker.accept-timeout", "2s",
            "How long a worker may take to acknowledge a request it was handed (it does so on reading it, before it runs); a worker"
                    + " that does not is killed and replaced, and the request, which provably never ran, goes to another worker."
                    + " A stopped (SIGSTOP) or exited worker is never handed a request in the first place.",
            ConfigValueParsers::parseDuration);

    public static final ConfigProperty<Integer> COMPLETION_THREADS = ConfigProperty.of(
            "python-worker.completion-threads", "4",
            "Threads that complete coarse calls (answer their callers) and send Cancel frames, off the workers' reader threads.",
            ConfigValueParsers::parseInt);
    public static final ConfigProperty<Integer> COMPLETION_QUEUE = ConfigProperty.of(
            "python-worker.completion-queue", "1024",
            "Completions that may wait for those threads; past it (a burst of answers the callers are slow to take) the worker's"
                    + " reader thread completes the call itself, counted by quantbot_python_worker_completions_inline_total.",
            ConfigValueParsers::parseInt);

    public static final ConfigProperty<Duration> QUERY_TIMEOUT = ConfigProperty.of(
            "python-worker.query-timeout", "60s",
            "Time limit of a Query whose client sent no deadline (other coarse calls get python-worker.default-timeout); a client"
                    + " deadline is passed on as is.",
            ConfigValueParsers::parseDuration);
    public static final ConfigProperty<Long> DATA_LIMIT = ConfigProperty.of(
            "python-worker.data-limit", "4GiB",
            "Hard cap on each worker process's heap and anonymous memory (RLIMIT_DATA, set by the worker at start), for"
                    + " allocations DuckDB's memory_limit does not see (a list aggregate, Arrow buffers): past it the request fails"
                    + " with RESOURCE_EXHAUSTED and the worker lives on. Keep it well above python-worker.memory-limit; 0 = no cap.",
            ConfigValueParsers::parseSize);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(
            POOL_SIZE, PYTHON, IMPORT_ROOTS, QUEUE_CAPACITY, DEFAULT_TIMEOUT, CANCEL_GRACE, PING_INTERVAL, MAX_REQUESTS, MAX_RSS,
            START_TIMEOUT, MEMORY_LIMIT, THREADS, SPAWN_STORM_LIMIT, ACCEPT_TIMEOUT,
            COMPLETION_THREADS, COMPLETION_QUEUE, QUERY_TIMEOUT, DATA_LIMIT);

    public PythonWorkerConfig {
        importRoots = List.copyOf(importRoots);
    }

    /**
     * Reads the pool's keys; the default import root depends on {@code data-dir}. Every problem is reported
     * together, and a missing interpreter is one of them when the pool is enabled.
     */
    public static PythonWorkerConfig from(ResolvedConfig config) {
        PythonWorkerConfig result = read(config);
        ConfigException.throwIfAny(result.problems());
        return result;
    }

    /** Every bad value of this area (see {@link DaemonConfiguration#problems}). */
    public static List<String> problems(ResolvedConfig config) {
        return read(config).problems();
    }

    private static PythonWorkerConfig read(ResolvedConfig config) {
        Path dataDir = config.get(DatabaseConfig.DATA_DIR).toAbsolutePath().normalize();
        List<String> rootNames = config.get(IMPORT_ROOTS);
        List<Path> roots = new ArrayList<>();
        if (rootNames.isEmpty()) {
            roots.add(dataDir.resolve("imports"));
        } else {
            for (String root : rootNames) {
                roots.add(Path.of(root).toAbsolutePath().normalize());
            }
        }
        return new PythonWorkerConfig(
                config.get(POOL_SIZE),
                config.get(PYTHON).toAbsolutePath().normalize(),
                roots,
                config.get(QUEUE_CAPACITY),
                config.get(DEFAULT_TIMEOUT),
                config.get(CANCEL_GRACE),
                config.get(PING_INTERVAL),
                config.get(MAX_REQUESTS),
                config.get(MAX_RSS),
                config.get(START_TIMEOUT),
                config.get(MEMORY_LIMIT),
                config.get(THREADS),
                config.get(SPAWN_STORM_LIMIT),
                config.get(ACCEPT_TIMEOUT),
                config.get(COMPLETION_THREADS),
                config.get(COMPLETION_QUEUE),
                config.get(QUERY_TIMEOUT),
                config.get(DATA_LIMIT));
    }

    public boolean enabled() {
        return poolSize > 0;
    }

    private List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (poolSize < 0 || poolSize > MAX_POOL_SIZE) {
            problems.add(POOL_SIZE.key() + " must be between 0 and " + MAX_POOL_SIZE + ", got " + poolSize);
        }
        if (queueCapacity < 1) {
            problems.add(QUEUE_CAPACITY.key() + " must be at least 1, got " + queueCapacity);
        }
        requirePositive(problems, DEFAULT_TIMEOUT, defaultTimeout);
        requirePositive(problems, CANCEL_GRACE, cancelGrace);
        requirePositive(problems, PING_INTERVAL, pingInterval);
        requirePositive(problems, START_TIMEOUT, startTimeout);
        requirePositive(problems, ACCEPT_TIMEOUT, acceptTimeout);
        if (completionThreads < 1 || completionThreads > 256) {
            problems.add(COMPLETION_THREADS.key() + " must be between 1 and 256, got " + completionThreads);
        }
        if (completionQueue < 1) {
            problems.add(COMPLETION_QUEUE.key() + " must be at least 1, got " + completionQueue);
        }
        requirePositive(problems, QUERY_TIMEOUT, queryTimeout);
        if (dataLimit < 0 || (dataLimit > 0 && dataLimit < MIN_DATA_LIMIT)) {
            problems.add(DATA_LIMIT.key() + " must be 0 (no cap) or at least 512MiB (a worker needs about 250 MiB idle), got " + dataLimit);
        }
        if (maxRequests < 0) {
            problems.add(MAX_REQUESTS.key() + " must be 0 (never) or more, got " + maxRequests);
        }
        if (maxRss < 0) {
            problems.add(MAX_RSS.key() + " must be 0 (no limit) or more, got " + maxRss);
        }
        if (!DUCKDB_SIZE.matcher(memoryLimit).matches()) {
            problems.add(MEMORY_LIMIT.key() + " must be a DuckDB size such as 512MB or 2GB, got '" + memoryLimit + "'");
        }
        if (threads < 0) {
            problems.add(THREADS.key() + " must be 0 (DuckDB's default) or more, got " + threads);
        }
        if (spawnStormLimit < Math.max(1, poolSize)) {
            problems.add(SPAWN_STORM_LIMIT.key() + " must be at least the pool size (" + Math.max(1, poolSize)
                    + "): starting the pool spawns every worker once; got " + spawnStormLimit);
        }
        if (enabled() && !Files.isExecutable(python)) {
            problems.add(PYTHON.key() + ": " + python + (Files.exists(python) ? " is not executable" : " does not exist")
                    + "; build the worker venv (mvn -pl python-worker install, or python-worker/setup-venv.sh), point "
                    + PYTHON.key() + " at a Python with the worker's requirements, or set " + POOL_SIZE.key() + "=0");
        }
        return problems;
    }

    private static void requirePositive(List<String> problems, ConfigProperty<Duration> property, Duration value) {
        if (value.isZero() || value.isNegative()) {
            problems.add(property.key() + " must be longer than 0");
        }
    }
}
