package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Asks the standard gRPC health service (grpc.health.v1.Health/Check) whether a gRPC server answers at a
 * channel's target, and tells the cases a caller reacts to differently: a server that answers (or asks for
 * credentials), nothing listening, something that is not gRPC (an HTTP/1 server, a daemon's HTTP ops port),
 * and a gRPC server without the health service every storage daemon has. Used before a long job so that a
 * wrong port is one clear message, not an "INTERNAL: http2 exception" later.
 */
public final class HealthProbe {
    /** What answered. */
    public enum Kind {
        /** A gRPC server with the health service answered (possibly asking for credentials). */
        GRPC_SERVER,
        /** Nothing answered: refused, unreachable or silent until the deadline. */
        NOTHING_LISTENING,
        /** A connection answered, but not in gRPC (HTTP/1 or other bytes). */
        NOT_GRPC,
        /** A gRPC server answered but has no health service. */
        NO_HEALTH_SERVICE
    }

    /** The kind of answer and the transport's own words for it (empty for {@link Kind#GRPC_SERVER}). */
    public record Result(Kind kind, String detail) {
        public Result {
            requireNonNull(kind, "kind is null");
            requireNonNull(detail, "detail is null");
        }
    }

    /** Health/Check with raw bytes: an empty request, and the response is not needed, so no grpc-services classes. */
    private static final MethodDescriptor<byte[], byte[]> HEALTH_CHECK = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("grpc.health.v1.Health/Check")
            .setRequestMarshaller(new RawBytes())
            .setResponseMarshaller(new RawBytes())
            .build();

    private HealthProbe() {}

    public static Result check(Channel channel, Duration deadline) {
        requireNonNull(channel, "channel is null");
        requireNonNull(deadline, "deadline is null");
        Status status;
        try {
            ClientCalls.blockingUnaryCall(channel, HEALTH_CHECK,
                    CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), new byte[0]);
            status = Status.OK;
        }
        catch (StatusRuntimeException e) {
            status = e.getStatus();
        }
        String detail = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        return switch (status.getCode()) {
            case OK, UNAUTHENTICATED, PERMISSION_DENIED -> new Result(Kind.GRPC_SERVER, "");
            case UNAVAILABLE, DEADLINE_EXCEEDED -> new Result(speaksSomethingElse(status) ? Kind.NOT_GRPC : Kind.NOTHING_LISTENING, detail);
            case UNIMPLEMENTED -> new Result(Kind.NO_HEALTH_SERVICE, detail);
            default -> new Result(Kind.NOT_GRPC, detail);
        };
    }

    /** A refused or silent connection is "nothing there"; one that answered in HTTP/1 or garbage is "something else". */
    private static boolean speaksSomethingElse(Status status) {
        String description = String.valueOf(status.getDescription()).toLowerCase(Locale.ROOT);
        return description.contains("http2") || description.contains("http/1") || description.contains("unexpected")
                || description.contains("protocol");
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
