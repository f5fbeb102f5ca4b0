package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Cluster mode ({@code storage.mode = cluster}): several daemons share one PostgreSQL for state and the artifact
 * catalog, and one warehouse for the lake. The password comes from a secret file or the environment, never from the
 * command line (where {@code ps} shows it) or the config file. Checked only when the mode is cluster.
 */
public record ClusterConfig(String postgresUrl, String postgresUser, Secret postgresPassword, URI warehouse, String nodeId, int poolSize,
        Duration connectionWait, Duration runLease) {

    public ClusterConfig {
        requireNonNull(postgresUrl, "postgresUrl is null");
        requireNonNull(postgresUser, "postgresUser is null");
        requireNonNull(postgresPassword, "postgresPassword is null");
        requireNonNull(warehouse, "warehouse is null");
        requireNonNull(nodeId, "nodeId is null");
        requireNonNull(connectionWait, "connectionWait is null");
        requireNonNull(runLease, "runLease is null");
    }

    /** A password that never prints itself (a log line or an exception message with the config shows it masked). */
    public static final class Secret {
        private final String value;

        public Secret(String value) {
            this.value = requireNonNull(value, "value is null");
        }

        public String reveal() {
            return value;
        }

        @Override
        public String toString() {
            return "****";
        }
    }

    public static final ConfigProperty<String> POSTGRES_URL = ConfigProperty.of(
            "cluster.postgres-url", "",
            "Cluster mode: JDBC URL of the PostgreSQL shared by every daemon of the cluster (state, the artifact catalog, run leases and the Iceberg lake's JDBC catalog), e.g."
                    + " jdbc:postgresql://db.internal:5432/quantbot (no password in it).",
            String::trim);
    public static final ConfigProperty<String> POSTGRES_USER = ConfigProperty.of(
            "cluster.postgres-user", "", "Cluster mode: the PostgreSQL role the daemon connects as.", String::trim);
    public static final ConfigProperty<String> POSTGRES_PASSWORD_FILE = ConfigProperty.of(
            "cluster.postgres-password-file", "",
            "Cluster mode: a file holding the role's password (one line; e.g. a mounted secret). Or give the password in the"
                    + " environment variable QUANTBOT_CLUSTER_POSTGRES_PASSWORD; never on the command line.",
            String::trim);
    public static final ConfigProperty<String> POSTGRES_PASSWORD = ConfigProperty.secret(
            "cluster.postgres-password", "",
            "Cluster mode: the role's password, accepted only from the environment (QUANTBOT_CLUSTER_POSTGRES_PASSWORD);"
                    + " a flag or the config file is refused. Prefer cluster.postgres-password-file.",
            value -> value);
    public static final ConfigProperty<String> WAREHOUSE = ConfigProperty.of(
            "cluster.warehouse", "",
            "Cluster mode: the lake warehouse every daemon shares, as a URI: file:///absolute/folder (s3://bucket/prefix is"
                    + " documented, not built). Recorded in PostgreSQL by the first daemon; a daemon naming another one is refused.",
            String::trim);
    public static final ConfigProperty<String> NODE_ID = ConfigProperty.of(
            "cluster.node-id", "",
            "Cluster mode: this daemon's name in the cluster ([A-Za-z0-9_.:-], at most 128); empty = <host name>:<grpc.port>.",
            String::trim);
    public static final ConfigProperty<Integer> POOL_SIZE = ConfigProperty.of(
            "cluster.postgres-pool-size", "8", "Cluster mode: PostgreSQL connections this daemon keeps open.", ConfigValueParsers::parseInt);
    public static final ConfigProperty<Duration> CONNECTION_WAIT = ConfigProperty.of(
            "cluster.postgres-connection-wait", "10s",
            "Cluster mode: longest wait for a pooled PostgreSQL connection (or to open one); then UNAVAILABLE (STORAGE_UNAVAILABLE).",
            ConfigValueParsers::parseDuration);

    public static final ConfigProperty<Duration> RUN_LEASE = ConfigProperty.of(
            "cluster.run-lease", "30s",
            "Cluster mode: how long a daemon owns its unsealed runs without renewing (it renews every third of it). A daemon"
                    + " silent for longer loses them: the runs are marked LOST and their scenarios run again elsewhere.",
            ConfigValueParsers::parseDuration);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(
            POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD_FILE, POSTGRES_PASSWORD, WAREHOUSE, NODE_ID, POOL_SIZE, CONNECTION_WAIT, RUN_LEASE);

    private static final String NODE_ID_PATTERN = "[A-Za-z0-9_.:-]{1,128}";

    public static ClusterConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        String nodeId = config.get(NODE_ID).isEmpty() ? defaultNodeId(config.get(ServerConfig.GRPC_PORT)) : config.get(NODE_ID);
        return new ClusterConfig(config.get(POSTGRES_URL), config.get(POSTGRES_USER), readPassword(config).orElseThrow(),
                URI.create(config.get(WAREHOUSE)), nodeId, config.get(POOL_SIZE), config.get(CONNECTION_WAIT), config.get(RUN_LEASE));
    }

    /** Every problem of cluster mode's keys, each naming the key; none unless storage.mode is cluster. */
    public static List<String> problems(ResolvedConfig config) {
        List<String> problems = new ArrayList<>();
        if (config.get(StorageConfig.MODE) != StorageConfig.Mode.CLUSTER) {
            return problems;
        }
        String mode = "storage.mode is cluster, so ";
        String url = config.get(POSTGRES_URL);
        if (url.isEmpty()) {
            problems.add(mode + POSTGRES_URL.key() + " must be set: the JDBC URL of the shared PostgreSQL, e.g."
                    + " jdbc:postgresql://db.internal:5432/quantbot (environment: " + POSTGRES_URL.environmentVariable() + ")");
        } else if (!url.startsWith("jdbc:postgresql://")) {
            problems.add(ConfigChecks.describe(config, POSTGRES_URL) + " must start with jdbc:postgresql://, got '" + url + "'");
        } else if (url.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
            problems.add(ConfigChecks.describe(config, POSTGRES_URL) + " carries a password: take it out of the URL and give it in "
                    + POSTGRES_PASSWORD_FILE.key() + " or " + POSTGRES_PASSWORD.environmentVariable());
        }
        if (config.get(POSTGRES_USER).isEmpty()) {
            problems.add(mode + POSTGRES_USER.key() + " must be set: the PostgreSQL role to connect as (environment: "
                    + POSTGRES_USER.environmentVariable() + ")");
        }
        String passwordOrigin = config.value(POSTGRES_PASSWORD.key()).origin();
        boolean inlinePassword = !config.get(POSTGRES_PASSWORD).isEmpty();
        if (inlinePassword && !passwordOrigin.startsWith("env")) {
            problems.add(POSTGRES_PASSWORD.key() + " (from " + passwordOrigin + ") is refused there: a password on the command line or in"
                    + " the config file is readable by others; put it in " + POSTGRES_PASSWORD_FILE.key() + " or the environment variable "
                    + POSTGRES_PASSWORD.environmentVariable());
        }
        String passwordFile = config.get(POSTGRES_PASSWORD_FILE);
        if (!passwordFile.isEmpty() && inlinePassword) {
            problems.add(POSTGRES_PASSWORD_FILE.key() + " and " + POSTGRES_PASSWORD.environmentVariable() + " are both set: give the password once");
        } else if (!passwordFile.isEmpty()) {
            Path file = Path.of(passwordFile).toAbsolutePath().normalize();
            if (!Files.exists(file)) {
                problems.add(ConfigChecks.describe(config, POSTGRES_PASSWORD_FILE) + ": " + file + " does not exist");
            } else if (!Files.isRegularFile(file)) {
                problems.add(ConfigChecks.describe(config, POSTGRES_PASSWORD_FILE) + ": " + file + " is not a regular file");
            } else if (!Files.isReadable(file)) {
                problems.add(ConfigChecks.describe(config, POSTGRES_PASSWORD_FILE) + ": " + file + " is not readable (permission denied)");
            } else if (readPassword(config).map(secret -> secret.reveal().isEmpty()).orElse(true)) {
                problems.add(ConfigChecks.describe(config, POSTGRES_PASSWORD_FILE) + ": " + file + " is empty");
            }
        } else if (!inlinePassword) {
            problems.add(mode + "the PostgreSQL password must be given: set " + POSTGRES_PASSWORD_FILE.key()
                    + " (a file holding it) or the environment variable " + POSTGRES_PASSWORD.environmentVariable());
        }
        String warehouse = config.get(WAREHOUSE);
        if (warehouse.isEmpty()) {
            problems.add(mode + WAREHOUSE.key() + " must be set: the shared lake warehouse, e.g. file:///srv/quantbot/warehouse (environment: "
                    + WAREHOUSE.environmentVariable() + ")");
        } else {
            warehouseProblem(warehouse).ifPresent(problem -> problems.add(ConfigChecks.describe(config, WAREHOUSE) + " " + problem));
        }
        String nodeId = config.get(NODE_ID);
        if (!nodeId.isEmpty() && !nodeId.matches(NODE_ID_PATTERN)) {
            problems.add(ConfigChecks.describe(config, NODE_ID) + " must match " + NODE_ID_PATTERN + ", got '" + nodeId + "'");
        }
        ConfigChecks.atLeast(problems, config, POOL_SIZE, 1);
        ConfigChecks.positive(problems, config, CONNECTION_WAIT);
        if (config.get(RUN_LEASE).compareTo(Duration.ofSeconds(1)) < 0) {
            problems.add(ConfigChecks.describe(config, RUN_LEASE) + " must be at least 1s, got " + config.get(RUN_LEASE));
        }
        return problems;
    }

    private static Optional<String> warehouseProblem(String warehouse) {
        URI uri;
        try {
            uri = new URI(warehouse);
        } catch (URISyntaxException e) {
            return Optional.of("is not a URI: " + e.getMessage());
        }
        if ("s3".equals(uri.getScheme())) {
            return Optional.of("is " + warehouse + ": s3:// warehouses are documented but not built yet; use file:///absolute/folder");
        }
        if (!"file".equals(uri.getScheme())) {
            return Optional.of("must be a file:///absolute/folder URI, got '" + warehouse + "'");
        }
        if (uri.getPath() == null || !uri.getPath().startsWith("/") || (uri.getAuthority() != null && !uri.getAuthority().isEmpty())) {
            return Optional.of("must be file:///absolute/folder (three slashes, no host), got '" + warehouse + "'");
        }
        Path path = Path.of(uri);
        Path existing = path;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            return Optional.of("is " + path + ", which lies under a file, not a folder");
        }
        if (!Files.isWritable(existing)) {
            return Optional.of("is " + path + ", but " + existing + " is not writable (permission denied)");
        }
        return Optional.empty();
    }

    private static Optional<Secret> readPassword(ResolvedConfig config) {
        String inline = config.get(POSTGRES_PASSWORD);
        if (!inline.isEmpty()) {
            return Optional.of(new Secret(inline));
        }
        String file = config.get(POSTGRES_PASSWORD_FILE);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            return Optional.of(new Secret(text.strip()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static String defaultNodeId(int grpcPort) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        String cleaned = host.replaceAll("[^A-Za-z0-9_.:-]", "_");
        return cleaned + ":" + grpcPort;
    }

    @Override
    public String toString() {
        return "ClusterConfig[postgresUrl=" + postgresUrl + ", postgresUser=" + postgresUser + ", warehouse=" + warehouse + ", nodeId=" + nodeId
                + ", poolSize=" + poolSize + "]";
    }
}
