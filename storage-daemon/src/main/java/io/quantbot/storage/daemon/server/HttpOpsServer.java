package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.input.InputText;
import io.quantbot.storage.daemon.lifecycle.Managed;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP ops endpoint: /metrics (Prometheus text), /healthz (the process is alive), /readyz (it
 * should get traffic: 200, or 503 with the reasons).
 */
@Singleton
public final class HttpOpsServer implements Managed {
    private static final Logger log = LoggerFactory.getLogger(HttpOpsServer.class);
    /** The non-simple header every admin request carries, so that no web page can send one without a CORS preflight. */
    public static final String ADMIN_HEADER = "X-Quantbot-Admin";
    private static final String BEARER = "Bearer ";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    private final StorageMaintenance maintenance;
    private final TokenStore tokens;
    private HttpServer server;
    private static final int THREADS = 2;
    /** Exchanges that may wait for a handler thread (see boundedExecutor). */
    private static final int QUEUE = 64;

    private ExecutorService executor;

    @Inject
    public HttpOpsServer(ServerConfig config, PrometheusMeterRegistry registry, Readiness readiness, StorageMaintenance maintenance,
            TokenStore tokens) {
        this.config = requireNonNull(config, "config is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.maintenance = requireNonNull(maintenance, "maintenance is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
    }

    @Override
    public synchronized void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(config.httpHost(), config.httpPort()), 16);
        executor = boundedExecutor(THREADS, QUEUE);
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> {
            if (getOnly(exchange)) {
                respond(exchange, 200, PROMETHEUS_CONTENT_TYPE, registry.scrape());
            }
        });
        server.createContext("/healthz", exchange -> {
            if (getOnly(exchange)) {
                respond(exchange, 200, "text/plain; charset=utf-8", "ok\n");
            }
        });
        server.createContext("/readyz", exchange -> {
            if (!getOnly(exchange)) {
                return;
            }
            if (readiness.isReady()) {
                respond(exchange, 200, "text/plain; charset=utf-8", "ready\n");
            } else {
                StringBuilder body = new StringBuilder("not ready\n");
                for (Map.Entry<String, String> reason : readiness.reasons().entrySet()) {
                    body.append(reason.getKey()).append(": ").append(reason.getValue()).append('\n');
                }
                respond(exchange, 503, "text/plain; charset=utf-8", body.toString());
            }
        });
        server.createContext("/admin/backup", this::backup);
        server.createContext("/admin/verify", this::verify);
        server.createContext("/admin/sweep-orphans", this::sweepOrphans);
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz or /readyz\n"));
        server.start();
        log.info("HTTP ops endpoint on http://{}:{}/ (metrics, healthz, readyz)", config.httpHost(), port());
    }

    /**
     * The handler threads. Bounded: past {@code queue} waiting exchanges the server's dispatcher thread runs the
     * next one itself, so it stops accepting connections meanwhile and the kernel's backlog (16) pushes back on
     * a flood of scrapers or probes, instead of an unbounded queue holding every connection in memory.
     */
    static ThreadPoolExecutor boundedExecutor(int threads, int queue) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), runnable -> {
            Thread thread = new Thread(runnable, "http-ops");
            thread.setDaemon(true);
            return thread;
        }, (exchange, pool) -> exchange.run());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * POST /admin/backup?to=/absolute/new/folder: an online, consistent copy of the data dir, private
     * to the daemon's user (folders 0700, files 0600). An admin request (see {@link #admitAdmin}).
     */
    private void backup(HttpExchange exchange) throws IOException {
        adminCall(exchange, "POST /admin/backup?to=/absolute/new/folder", parameters -> {
            Path to = InputText.path("to", required(parameters, "to"), InputText.PathKind.ABSOLUTE);
            StorageMaintenance.BackupResult result = maintenance.backupTo(to);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("backup", result.target().toString());
            body.put("lake_files", result.lakeFiles());
            body.put("millis", result.millis());
            return body;
        }, Set.of("to"));
    }

    /**
     * POST /admin/verify: re-hashes every artifact file of the lake against the catalog and answers
     * with what is changed or missing (200 either way; {@code clean} says which). An admin request.
     */
    private void verify(HttpExchange exchange) throws IOException {
        adminCall(exchange, "POST /admin/verify", parameters -> {
            StorageMaintenance.IntegrityReport report = maintenance.verifyLake();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("clean", report.clean());
            body.put("checked", report.checked());
            body.put("bytes_hashed", report.bytesHashed());
            body.put("millis", report.millis());
            body.put("changed", problems(report.mismatched()));
            body.put("missing", problems(report.missing()));
            return body;
        }, Set.of());
    }

    /**
     * POST /admin/sweep-orphans: removes lake and staging files no catalog entry names that are older
     * than lake.orphan-grace-period, and lists them. An admin request.
     */
    private void sweepOrphans(HttpExchange exchange) throws IOException {
        adminCall(exchange, "POST /admin/sweep-orphans", parameters -> {
            StorageMaintenance.OrphanSweep result = maintenance.sweepOrphans();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("removed", result.removed());
            body.put("removed_bytes", result.removedBytes());
            body.put("kept_recent", result.keptRecent());
            return body;
        }, Set.of());
    }

    private static List<Map<String, String>> problems(List<StorageMaintenance.IntegrityProblem> problems) {
        return problems.stream().map(problem -> Map.of("artifact_id", problem.artifactId(), "path", problem.path(), "problem", problem.problem()))
                .toList();
    }

    /** What an admin endpoint does once the request is admitted: its JSON answer from the query parameters. */
    @FunctionalInterface
    private interface AdminAction {
        Map<String, Object> run(Map<String, String> parameters) throws IOException;
    }

    /**
     * Runs an admin endpoint. Every failure is answered (JSON {@code error}, {@code message}), never a
     * dropped connection: 400 for a bad parameter, 401/403 for auth, 500 (details only in the log) for
     * anything unexpected.
     */
    private void adminCall(HttpExchange exchange, String usage, AdminAction action, Set<String> allowedParameters) throws IOException {
        try {
            if (!admitAdmin(exchange, usage)) {
                return;
            }
            Map<String, String> parameters = parameters(exchange.getRequestURI().getRawQuery(), allowedParameters);
            respondJson(exchange, 200, action.run(parameters));
        } catch (StorageException e) {
            respondError(exchange, httpStatus(e.code()), e.code().name(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.error("{} failed", usage, e);
            respondError(exchange, 500, "INTERNAL", "the request failed; the daemon log has the details");
        }
    }

    /**
     * Admin endpoints only serve requests that a web page cannot forge and that come from the
     * daemon's own machine: POST; no {@code Origin} header (browsers add it to cross-site requests);
     * the non-simple header {@code X-Quantbot-Admin: 1} (a browser would have to ask first, in a CORS
     * preflight this server never grants); a loopback peer whatever http.host is; and, when auth
     * tokens are configured, {@code Authorization: Bearer <token>} of the admin role, from the same
     * token store as gRPC. Answers and returns false when the request is refused.
     */
    private boolean admitAdmin(HttpExchange exchange, String usage) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            exchange.getResponseHeaders().add("Allow", "POST");
            respondError(exchange, 405, "METHOD_NOT_ALLOWED", "use " + usage);
            return false;
        }
        if (exchange.getRequestHeaders().containsKey("Origin")) {
            respondError(exchange, 403, "PERMISSION_DENIED", "admin requests from web pages (with an Origin header) are refused");
            return false;
        }
        if (!exchange.getRemoteAddress().getAddress().isLoopbackAddress()) {
            respondError(exchange, 403, "PERMISSION_DENIED", "admin requests can only come from the daemon's own machine");
            return false;
        }
        if (!"1".equals(exchange.getRequestHeaders().getFirst(ADMIN_HEADER)) || exchange.getRequestHeaders().get(ADMIN_HEADER).size() != 1) {
            respondError(exchange, 403, "PERMISSION_DENIED", "admin requests must carry the header '" + ADMIN_HEADER + ": 1'");
            return false;
        }
        if (!tokens.enabled()) {
            return true;
        }
        List<String> authorization = exchange.getRequestHeaders().get("Authorization");
        if (authorization == null || authorization.size() != 1 || !authorization.get(0).regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
            respondError(exchange, 401, "UNAUTHENTICATED", "this daemon requires a bearer token of the admin role: 'Authorization: Bearer <token>'");
            return false;
        }
        Optional<TokenStore.Principal> principal = tokens.authenticate(authorization.get(0).substring(BEARER.length()).strip());
        if (principal.isEmpty()) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
            respondError(exchange, 401, "UNAUTHENTICATED", "the bearer token is not valid");
            return false;
        }
        if (!principal.get().role().allows(Role.ADMIN)) {
            respondError(exchange, 403, "PERMISSION_DENIED", "token '" + principal.get().name() + "' has the " + principal.get().role().label()
                    + " role; " + usage + " needs admin");
            return false;
        }
        return true;
    }

    /** The query parameters, each at most once and only the known ones; malformed escapes are a 400. */
    private static Map<String, String> parameters(String rawQuery, Set<String> allowed) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return parameters;
        }
        if (rawQuery.length() > 16_384) {
            throw badParameter("query", "the query string is longer than 16384 characters");
        }
        for (String parameter : rawQuery.split("&")) {
            int equals = parameter.indexOf('=');
            String name = decode(equals < 0 ? parameter : parameter.substring(0, equals));
            String value = equals < 0 ? "" : decode(parameter.substring(equals + 1));
            if (!allowed.contains(name)) {
                throw badParameter(InputText.shown(name), "unknown parameter '" + InputText.shown(name) + "'; this endpoint takes " + allowed);
            }
            if (parameters.put(name, value) != null) {
                throw badParameter(name, "the parameter '" + name + "' is given twice");
            }
        }
        return parameters;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw badParameter("query", "the query string has a malformed %-escape");
        }
    }

    private static String required(Map<String, String> parameters, String name) {
        String value = parameters.get(name);
        if (value == null || value.isEmpty()) {
            throw badParameter(name, "the parameter '" + name + "' is required");
        }
        return value;
    }

    private static StorageException badParameter(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }

    private static int httpStatus(ErrorCode code) {
        return switch (code) {
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case KEY_NOT_FOUND, ARTIFACT_NOT_FOUND, RUN_NOT_FOUND, CANDLES_NOT_FOUND -> 404;
            default -> switch (code.category()) {
                case USER -> 400;
                case RESOURCE -> 429;
                case TRANSIENT -> 503;
                case INTERNAL -> 500;
            };
        };
    }

    private static void respondError(HttpExchange exchange, int status, String reason, String message) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", reason);
        body.put("message", message);
        respondJson(exchange, status, body);
    }

    private static void respondJson(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        respond(exchange, status, "application/json", JSON.writeValueAsString(body) + "\n");
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        if (server == null) {
            return;
        }
        server.stop(0);
        executor.shutdown();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        server = null;
    }

    private static boolean getOnly(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().add("Allow", "GET, HEAD");
        respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
        return false;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream body1 = exchange.getResponseBody()) {
                body1.write(bytes);
            }
        }
        exchange.close();
    }
}
