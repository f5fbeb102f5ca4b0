package io.quantbot.sweep.cli;

import io.quantbot.storage.client.HealthProbe;
import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.UnauthenticatedException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.ServerInfo;
import java.time.Duration;

/**
 * Makes sure the target is a quantbot storage daemon before anything else: first the standard gRPC health
 * service (does a gRPC server answer at all? the SDK's {@link HealthProbe}), then GetServerInfo (is it
 * ours?). Something else on the port (an HTTP server, the daemon's own HTTP ops port, another gRPC service)
 * is reported as such, exit 3, instead of a sweep that fails later with "INTERNAL: http2 exception".
 */
final class DaemonProbe {
    private static final Duration PROBE_DEADLINE = Duration.ofSeconds(10);

    private DaemonProbe() {}

    /** The daemon's ServerInfo, or why the target is not a daemon this runner can use. */
    static ServerInfo probe(QuantbotStorageClient client, String target) throws DaemonUnreachableException {
        HealthProbe.Result health = HealthProbe.check(client.channel(), PROBE_DEADLINE);
        switch (health.kind()) {
            case GRPC_SERVER -> { }
            case NOTHING_LISTENING -> throw unreachable(target, health.detail());
            case NOT_GRPC -> throw notOurs(target, "it does not speak gRPC (" + health.detail() + ")");
            case NO_HEALTH_SERVICE -> throw notOurs(target, "a gRPC server answers, but without the health service every daemon has");
        }
        try {
            return client.artifacts().getServerInfo();
        }
        catch (UnavailableException e) {
            throw SweepExecution.unreachable(target, e);
        }
        catch (UnauthenticatedException | PermissionDeniedException e) {
            throw e;
        }
        catch (StorageException e) {
            throw notOurs(target, "a gRPC server answers, but not the storage daemon's ArtifactPort (" + e.getMessage() + ")");
        }
    }

    private static DaemonUnreachableException unreachable(String target, String why) {
        return new DaemonUnreachableException("cannot reach the storage daemon at " + target + " (" + why
                + "); start one with: java -jar storage-daemon/target/storage-daemon.jar", null);
    }

    private static DaemonUnreachableException notOurs(String target, String why) {
        return new DaemonUnreachableException("something listens at " + target + ", but it is not a quantbot storage daemon: " + why
                + ". Point --target (or QUANTBOT_TARGET) at the daemon's gRPC port (default 50051; the HTTP ops port, default 9464,"
                + " serves only /metrics, /healthz and /readyz)", null);
    }
}
