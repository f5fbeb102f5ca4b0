package io.quantbot.storage.daemon.server;

import static io.quantbot.storage.daemon.testing.GrpcErrors.expectError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.testing.TlsTesting;
import io.quantbot.storage.client.PermissionDeniedException;
import io.quantbot.storage.client.QuantbotStorageClient;
import io.quantbot.storage.client.UnauthenticatedException;
import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.config.SecurityConfig;
import io.quantbot.storage.daemon.testing.Await;
import io.quantbot.storage.daemon.testing.DaemonProcess;
import io.quantbot.storage.daemon.testing.TestingStorageDaemon;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.SupersedeRequest;
import io.quantbot.storage.v1.Value;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer-token roles, TLS and the refusal to serve other machines without auth. */
class SecurityTest {
    private static final String READ_TOKEN = "read-token-0123456789abcdef";
    private static final String WRITE_TOKEN = "write-token-0123456789abcdef";
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";

    @TempDir
    Path dir;

    private Path tokensFile() throws Exception {
        return Files.writeString(dir.resolve("tokens"), "# name role token\nresearcher read " + READ_TOKEN + "\nsweeper write " + WRITE_TOKEN
                + "\n\nops admin " + ADMIN_TOKEN + "\n");
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(headers);
            }
        };
    }

    private static SetRequest set(String key) {
        return SetRequest.newBuilder().setNamespace("auth").setKey(key).setValue(Value.newBuilder().setJson("1")).build();
    }

    @Test
    void rolesDecideWhatATokenMayDo() throws Exception {
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().set("auth.tokens-file", tokensFile().toString()).build()) {
            ManagedChannel channel = daemon.loopbackChannel();
            var anonymous = StatePortGrpc.newBlockingStub(channel);
            expectError(() -> anonymous.set(set("k")), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED");
            expectError(() -> anonymous.withCallCredentials(bearer("not-a-real-token-at-all")).get(GetRequest.newBuilder().setNamespace("auth").setKey("k").build()),
                    Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED");
            var reader = anonymous.withCallCredentials(bearer(READ_TOKEN));
            StatusRuntimeException denied = expectError(() -> reader.set(set("k")), Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED");
            assertThat(denied.getStatus().getDescription()).contains("researcher").contains("read").contains("needs write");
            var writer = anonymous.withCallCredentials(bearer(WRITE_TOKEN));
            writer.set(set("k"));
            assertThat(reader.get(GetRequest.newBuilder().setNamespace("auth").setKey("k").build()).getEntry().getValue().getJson()).isEqualTo("1");
            assertThat(ArtifactPortGrpc.newBlockingStub(channel).withCallCredentials(bearer(READ_TOKEN))
                    .getServerInfo(GetServerInfoRequest.getDefaultInstance()).getSchemaVersion()).isPositive();
            expectError(() -> ArtifactPortGrpc.newBlockingStub(channel).withCallCredentials(bearer(WRITE_TOKEN))
                    .supersede(SupersedeRequest.newBuilder().setArtifactId("art_x").build()), Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED");
            expectError(() -> ArtifactPortGrpc.newBlockingStub(channel).withCallCredentials(bearer(ADMIN_TOKEN))
                    .supersede(SupersedeRequest.newBuilder().setArtifactId("art_x").build()), Status.Code.NOT_FOUND, "ARTIFACT_NOT_FOUND");
            // Health checks stay open for load balancers and orchestrators.
            assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

            // The SDK sends its token on every call.
            try (QuantbotStorageClient client = QuantbotStorageClient.builder().channel(channel).bearerToken(WRITE_TOKEN).build()) {
                client.state().setJson("auth", "sdk", "{\"ok\": true}");
                assertThat(client.state().get("auth", "sdk")).isPresent();
            }
            try (QuantbotStorageClient client = QuantbotStorageClient.builder().channel(channel).bearerToken(READ_TOKEN).build()) {
                assertThatThrownBy(() -> client.state().setJson("auth", "sdk", "{}")).isInstanceOf(PermissionDeniedException.class);
            }
            try (QuantbotStorageClient client = QuantbotStorageClient.builder().channel(channel).build()) {
                assertThatThrownBy(() -> client.state().get("auth", "sdk")).isInstanceOf(UnauthenticatedException.class);
            }
        }
    }

    @Test
    void tokensFromAnEnvironmentSecretAndFileReload() throws Exception {
        Path file = tokensFile();
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().set("auth.tokens-file", file.toString())
                .set("auth.tokens", "ci:write:ci-secret-token-0123456789").build()) {
            var stub = StatePortGrpc.newBlockingStub(daemon.loopbackChannel());
            stub.withCallCredentials(bearer("ci-secret-token-0123456789")).set(set("ci"));
            Files.writeString(file, "rotated admin rotated-token-0123456789abcd\n");
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            // The file is re-checked every 2 s (TokenStoreTest moves that clock by hand): wait for the new token.
            Await.until("the rotated token to be accepted", Duration.ofSeconds(30), () -> {
                try {
                    stub.withCallCredentials(bearer("rotated-token-0123456789abcd")).set(set("rotated"));
                    return true;
                } catch (StatusRuntimeException e) {
                    return false;
                }
            });
            expectError(() -> stub.withCallCredentials(bearer(WRITE_TOKEN)).set(set("old")), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED");
        }
    }

    @Test
    void badTokenFilesAndNonLoopbackWithoutAuthAreConfigurationErrors() throws Exception {
        Map<String, String> wide = Map.of("grpc.host", "0.0.0.0");
        assertThatThrownBy(() -> SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), wide)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a loopback address").hasMessageContaining("auth.tokens-file");
        SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("grpc.host", "0.0.0.0", "auth.tokens-file", tokensFile().toString())));
        SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("grpc.host", "localhost")));
        assertThatThrownBy(() -> SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("tls.cert-file", "/x.pem"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.key-file");

        Path bad = Files.writeString(dir.resolve("bad-tokens"), "alice superuser aaaaaaaaaaaaaaaaaaaa\nbob read short\ncarol write\n");
        assertThatThrownBy(() -> new TokenStore(SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(),
                Map.of("auth.tokens-file", bad.toString())))))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(3)
                        .anySatisfy(p -> assertThat(p).contains(":1").contains("superuser"))
                        .anySatisfy(p -> assertThat(p).contains(":2").contains("shorter than 16"))
                        .anySatisfy(p -> assertThat(p).contains(":3").contains("<name> <role> <token>")));

        // A missing tokens file (an unmounted container secret) says what to do, not just the exception's path.
        Path missing = dir.resolve("no-such-tokens");
        assertThatThrownBy(() -> new TokenStore(SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(),
                Map.of("auth.tokens-file", missing.toString())))))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().asString()
                        .contains(missing + " does not exist").contains("mount it as that secret").contains("auth.tokens"));

        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("data"), "--grpc-host", "0.0.0.0")) {
            assertThat(daemon.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(String.join("\n", daemon.log())).contains("not a loopback address");
        }
    }

    @Test
    void config_print_masks_secrets() throws Exception {
        var out = new java.io.StringWriter();
        var commandLine = io.quantbot.storage.daemon.cli.DaemonCommandAccess.commandLine(Map.of("QUANTBOT_AUTH_TOKENS", "ci:write:ci-secret-token-0123456789"));
        commandLine.setOut(new java.io.PrintWriter(out, true));
        assertThat(commandLine.execute("config", "print")).isZero();
        assertThat(out.toString()).containsPattern("auth\\.tokens\\s+\\*\\*\\*\\*\\s+env:QUANTBOT_AUTH_TOKENS").doesNotContain("ci-secret");
    }

    @Test
    void tlsAndTokensTogetherThroughTheSdk() throws Exception {
        Path cert = copy("server1.pem");
        Path key = copy("server1.key");
        Path ca = copy("ca.pem");
        try (TestingStorageDaemon daemon = TestingStorageDaemon.builder().set("auth.tokens-file", tokensFile().toString())
                .set("tls.cert-file", cert.toString()).set("tls.key-file", key.toString()).build()) {
            try (QuantbotStorageClient client = QuantbotStorageClient.builder().forAddress("127.0.0.1", daemon.grpcPort()).tls(ca)
                    .overrideAuthority("foo.test.google.fr").bearerToken(WRITE_TOKEN).build()) {
                client.state().setJson("tls", "k", "[1, 2]");
                assertThat(client.state().get("tls", "k").orElseThrow().getValue().getJson()).isEqualTo("[1, 2]");
            }
            ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", daemon.grpcPort()).usePlaintext().build();
            try {
                StatusRuntimeException refused = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                        () -> StatePortGrpc.newBlockingStub(plaintext).withDeadlineAfter(5, TimeUnit.SECONDS)
                                .withCallCredentials(bearer(WRITE_TOKEN)).set(set("plain")));
                assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            } finally {
                plaintext.shutdownNow();
            }
            ManagedChannel untrusted = NettyChannelBuilder.forAddress("127.0.0.1", daemon.grpcPort())
                    .sslContext(GrpcSslContexts.forClient().build()).overrideAuthority("foo.test.google.fr").build();
            try {
                StatusRuntimeException refused = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                        () -> StatePortGrpc.newBlockingStub(untrusted).withDeadlineAfter(5, TimeUnit.SECONDS)
                                .withCallCredentials(bearer(WRITE_TOKEN)).set(set("untrusted")));
                assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            } finally {
                untrusted.shutdownNow();
            }
        }
    }

    private Path copy(String name) throws Exception {
        Path target = dir.resolve(name);
        try (InputStream in = TlsTesting.loadCert(name)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }
}
