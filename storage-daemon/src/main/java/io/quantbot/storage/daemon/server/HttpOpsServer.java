package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.lifecycle.Managed;
import io.quantbot.storage.daemon.lifecycle.Readiness;
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
    private HttpServer server;
    private ExecutorService executor;

    @Inject
    public HttpOpsServer(ServerConfig config, PrometheusMeterRegistry registry, Readiness readiness) {
        this.config = requireNonNull(config, "config is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
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
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8", "not found; try /metrics, /healthz or /readyz\n"));
        server.start();
        log.info("HTTP ops endpoint on http://{}:{}/ (metrics, healthz, readyz)", config.httpHost(), port());
    }

    public int port() {
        return server.getAddress().getPort();
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
