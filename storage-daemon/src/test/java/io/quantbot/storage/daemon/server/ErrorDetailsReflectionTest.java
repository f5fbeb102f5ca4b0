package io.quantbot.storage.daemon.server;

import static io.quantbot.storage.daemon.testing.Reflection.ask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 11 item 8: generic tools decode our errors (reflection knows google.rpc), and x-request-id comes back on errors too. */
class ErrorDetailsReflectionTest {
    private static List<String> files(ServerReflectionResponse response) throws InvalidProtocolBufferException {
        assertThat(response.hasErrorResponse()).as("error: %s", response.getErrorResponse().getErrorMessage()).isFalse();
        List<String> names = new ArrayList<>();
        for (var bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            names.add(FileDescriptorProto.parseFrom(bytes).getName());
        }
        return names;
    }

    @Test
    void reflectionResolvesTheGoogleRpcErrorDetails() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            ManagedChannel channel = daemon.loopbackChannel();
            for (String symbol : List.of("google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RetryInfo", "google.rpc.Status")) {
                ServerReflectionResponse response = ask(channel, ServerReflectionRequest.newBuilder().setFileContainingSymbol(symbol).build());
                assertThat(files(response)).as(symbol).anyMatch(name -> name.startsWith("google/rpc/"));
            }
            // The port files still resolve, with their services unchanged.
            ServerReflectionResponse state = ask(channel, ServerReflectionRequest.newBuilder().setFileContainingSymbol(StatePortGrpc.SERVICE_NAME).build());
            FileDescriptorProto stateFile = FileDescriptorProto.parseFrom(state.getFileDescriptorResponse().getFileDescriptorProto(0));
            assertThat(stateFile.getName()).isEqualTo("quantbot/storage/v1/state.proto");
            assertThat(stateFile.getService(0).getMethodList()).extracting(m -> m.getName()).contains("Get", "Set", "Transaction");
            assertThat(stateFile.getDependencyList()).contains("google/rpc/error_details.proto");
            ServerReflectionResponse list = ask(channel, ServerReflectionRequest.newBuilder().setListServices("*").build());
            assertThat(list.getListServicesResponse().getServiceList()).extracting(s -> s.getName()).noneMatch(name -> name.startsWith("google.rpc"));
        }
    }

    @Test
    void theRequestIdIsEchoedOnAnErrorWithoutHeaders() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.start()) {
            Metadata headers = new Metadata();
            headers.put(RequestContext.REQUEST_ID_HEADER, "req-trailers-only-42");
            var stub = StatePortGrpc.newBlockingStub(daemon.loopbackChannel()).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
            // A refused request fails before any response header: a trailers-only response.
            assertThatThrownBy(() -> stub.get(GetRequest.newBuilder().setNamespace("Bad Namespace!").setKey("k").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getTrailers()).isNotNull();
                        assertThat(e.getTrailers().get(RequestContext.REQUEST_ID_HEADER)).isEqualTo("req-trailers-only-42");
                    });
            // Without a client id the daemon's own id comes back, on errors as well.
            var bare = StatePortGrpc.newBlockingStub(daemon.loopbackChannel());
            assertThatThrownBy(() -> bare.get(GetRequest.newBuilder().setNamespace("m").setKey("missing").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                            assertThat(e.getTrailers().get(RequestContext.REQUEST_ID_HEADER)).matches("[0-9a-f]{16}"));
        }
    }
}
