package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.lifecycle.Managed;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.storage.duckdb.DatabaseBackup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    private static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    private final DatabaseBackup backup;
    private HttpServer server;
    private ExecutorService executor;

    @Inject
    public HttpOpsServer(ServerConfig config, PrometheusMeterRegistry registry, Readiness readiness, DatabaseBackup backup) {
        this.config = requireNonNull(config, "config is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.backup = requireNonNull(backup, "backup is null");
    }

    @Override
    public synchronized void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(config.httpHost(), config.httpPort()), 16);
        executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "http-ops");
            thread.setDaemon(true);
            return thread;
        });
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
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz or /readyz\n"));
        server.start();
        log.info("HTTP ops endpoint on http://{}:{}/ (metrics, healthz, readyz)", config.httpHost(), port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * POST /admin/backup?to=/absolute/new/folder: an online, consistent copy of the data dir. Only from
     * the machine itself (a loopback peer), whatever http.host is.
     */
    private void backup(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            exchange.getResponseHeaders().add("Allow", "POST");
            respond(exchange, 405, "text/plain; charset=utf-8", "use POST /admin/backup?to=/absolute/new/folder\n");
            return;
        }
        if (!exchange.getRemoteAddress().getAddress().isLoopbackAddress()) {
            respond(exchange, 403, "text/plain; charset=utf-8", "backups can only be started from the daemon's own machine\n");
            return;
        }
        String query = exchange.getRequestURI().getRawQuery();
        String to = null;
        if (query != null) {
            for (String parameter : query.split("&")) {
                if (parameter.startsWith("to=")) {
                    to = java.net.URLDecoder.decode(parameter.substring(3), StandardCharsets.UTF_8);
                }
            }
        }
        if (to == null || to.isBlank() || !java.nio.file.Path.of(to).isAbsolute()) {
            respond(exchange, 400, "text/plain; charset=utf-8", "missing ?to=/absolute/new/folder\n");
            return;
        }
        try {
            DatabaseBackup.Result result = backup.backupTo(java.nio.file.Path.of(to));
            respond(exchange, 200, "application/json", "{\"backup\": \"" + result.target().toString().replace("\"", "\\\"") + "\", \"lake_files\": "
                    + result.lakeFiles() + ", \"millis\": " + result.millis() + "}\n");
        } catch (io.quantbot.storage.daemon.error.StorageException e) {
            respond(exchange, 400, "text/plain; charset=utf-8", e.getMessage() + "\n");
        } catch (RuntimeException e) {
            log.error("Backup to {} failed", to, e);
            respond(exchange, 500, "text/plain; charset=utf-8", "backup failed: " + e.getMessage() + "\n");
        }
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
