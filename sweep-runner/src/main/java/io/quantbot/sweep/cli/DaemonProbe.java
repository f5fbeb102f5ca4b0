package io.quantbot.sweep.cli;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.UnauthenticatedException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.v1.ServerInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the target is a quantbot storage daemon before anything else: first the standard gRPC health
 * service (does a gRPC server answer at all?), then GetServerInfo (is it ours?). Something else on the port
 * (an HTTP server, the daemon's own HTTP ops port, another gRPC service) is reported as such, exit 3,
 * instead of a sweep that fails later with "INTERNAL: http2 exception".
 */
final class DaemonProbe {
    /** grpc.health.v1.Health/Check with raw bytes, so the runner needs no grpc-services jar for one call. */
    private static final MethodDescriptor<byte[], byte[]> HEALTH_CHECK = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("grpc.health.v1.Health/Check")
            .setRequestMarshaller(new RawBytes())
            .setResponseMarshaller(new RawBytes())
            .build();
    private static final long PROBE_SECONDS = 10;

    private DaemonProbe() {}

    /** The daemon's ServerInfo, or why the target is not a daemon this runner can use. */
    static ServerInfo probe(QuantbotStorageClient client, String target) throws DaemonUnreachableException {
        Status health = health(client.channel());
        switch (health.getCode()) {
            case OK, UNAUTHENTICATED, PERMISSION_DENIED -> { }
            case UNAVAILABLE, DEADLINE_EXCEEDED -> {
                if (!speaksHttp2(health)) {
                    throw unreachable(target, health.getCode() + ": " + health.getDescription());
                }
                throw notOurs(target, "it does not speak gRPC (" + describe(health) + ")");
            }
            case UNIMPLEMENTED -> throw notOurs(target, "a gRPC server answers, but without the health service every daemon has");
            default -> throw notOurs(target, "it does not speak gRPC (" + describe(health) + ")");
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

    private static Status health(Channel channel) {
        try {
            ClientCalls.blockingUnaryCall(channel, HEALTH_CHECK, CallOptions.DEFAULT.withDeadlineAfter(PROBE_SECONDS, TimeUnit.SECONDS),
                    new byte[0]);
            return Status.OK;
        }
        catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    /** A refused or silent connection is "nothing there"; a connection that answered in HTTP/1 or garbage is "something else". */
    private static boolean speaksHttp2(Status status) {
        String description = String.valueOf(status.getDescription()).toLowerCase(java.util.Locale.ROOT);
        return description.contains("http2") || description.contains("http/1") || description.contains("unexpected")
                || description.contains("protocol");
    }

    private static String describe(Status status) {
        return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
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

    private static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
