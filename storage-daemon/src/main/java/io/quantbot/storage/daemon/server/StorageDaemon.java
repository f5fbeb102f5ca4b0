package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.quantbot.storage.daemon.config.ServerConfig;
import io.quantbot.storage.daemon.lifecycle.DataDirLock;
import io.quantbot.storage.daemon.lifecycle.Managed;
import io.quantbot.storage.daemon.lifecycle.Readiness;
import io.quantbot.storage.daemon.storage.StorageLayer;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.StatePortGrpc;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the components in order (data-dir lock, ops endpoint, storage, gRPC) and stops them in
 * reverse. The lock comes first, so a second daemon on the same data dir is refused before it opens any
 * port; fixed ports are checked right after it, so a port in use is reported at once, by name. The
 * health status follows readiness: SERVING only once migrations ran and every component is up;
 * NOT_SERVING as soon as shutdown begins, before the server stops accepting calls.
 */
@Singleton
public final class StorageDaemon {
    private static final Logger log = LoggerFactory.getLogger(StorageDaemon.class);
    private static final String[] SERVICES = {
        "", StatePortGrpc.SERVICE_NAME, ArtifactPortGrpc.SERVICE_NAME,
    };

    private final DataDirLock dataDirLock;
    private final ServerConfig config;
    private final HttpOpsServer http;
    private final StorageLayer storage;
    private final GrpcServer grpc;
    private final Readiness readiness;
    private final HealthStatusManager health;
    private boolean started;
    private boolean stopped;

    @Inject
    public StorageDaemon(DataDirLock dataDirLock, ServerConfig config, HttpOpsServer http, StorageLayer storage, GrpcServer grpc,
            Readiness readiness, HealthStatusManager health) {
        this.dataDirLock = requireNonNull(dataDirLock, "dataDirLock is null");
        this.config = requireNonNull(config, "config is null");
        this.http = requireNonNull(http, "http is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.grpc = requireNonNull(grpc, "grpc is null");
        this.readiness = requireNonNull(readiness, "readiness is null");
        this.health = requireNonNull(health, "health is null");
    }

    /**
     * Starts the ports and storage. Storage starts outside the monitor: it can take long (interrupted seals are
     * resumed first), and stop() (SIGTERM during start-up) must not queue behind it; a start that finds it was stopped
     * meanwhile returns without starting gRPC or marking itself ready.
     */
    public void start() throws Exception {
        synchronized (this) {
            if (started) {
                return;
            }
            started = true;
            readiness.addListener(this::publishHealth);
            dataDirLock.acquire();
            try {
                Ports.requireFree("gRPC", "grpc.port", config.grpcHost(), config.grpcPort());
                Ports.requireFree("HTTP ops", "http.port", config.httpHost(), config.httpPort());
                startPort(http, "HTTP ops", "http.port", config.httpHost(), config.httpPort());
            } catch (Exception e) {
                stop();
                throw e;
            }
        }
        try {
            storage.start();
            synchronized (this) {
                if (stopped) {
                    log.info("Stopped during start-up; not opening the gRPC port");
                    return;
                }
                startPort(grpc, "gRPC", "grpc.port", config.grpcHost(), config.grpcPort());
                readiness.markReady(Readiness.STARTED);
            }
        } catch (Exception e) {
            synchronized (this) {
                if (stopped) {
                    log.info("Stopped during start-up: {}", e.getMessage());
                    return;
                }
            }
            stop();
            throw e;
        }
    }

    /** Starts a server; a failure to bind its port (taken since the check above) is named like the check names it. */
    private static void startPort(Managed server, String what, String key, String host, int port) throws Exception {
        try {
            server.start();
        } catch (Exception e) {
            if (Ports.isBindFailure(e)) {
                throw Ports.inUse(what, key, host, port, e);
            }
            throw e;
        }
    }

    /** Graceful: readiness and health drop first, in-flight calls finish, queued writes commit, the database closes. */
    public synchronized void stop() {
        if (stopped || !started) {
            return;
        }
        stopped = true;
        log.info("Shutting down");
        readiness.markNotReady(Readiness.SHUTDOWN, "shutting down");
        health.enterTerminalState();
        stopQuietly("gRPC server", grpc::stop);
        stopQuietly("storage", storage::stop);
        stopQuietly("HTTP ops endpoint", http::stop);
        dataDirLock.release();
        log.info("Stopped");
    }

    public int grpcPort() {
        return grpc.port();
    }

    public int httpPort() {
        return http.port();
    }

    private void publishHealth(boolean ready) {
        ServingStatus status = ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        for (String service : SERVICES) {
            health.setStatus(service, status);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void stopQuietly(String what, Step step) {
        try {
            step.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Interrupted while stopping the {}", what);
        } catch (Exception e) {
            log.error("Stopping the {} failed", what, e);
        }
    }
}
