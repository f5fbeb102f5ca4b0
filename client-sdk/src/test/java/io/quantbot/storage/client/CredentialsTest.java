package io.quantbot.storage.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.TlsTesting;
import io.quantbot.storage.v1.GetServerInfoRequest;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.ServerInfo;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {
    /** The grpc-testing server certificate names *.test.google.fr (valid until 2030). */
    private static final String TEST_AUTHORITY = "foo.test.google.fr";

    private TestingServer server;

    @TempDir
    Path temporary;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestingServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    @Test
    void bearerTokenReachesTheServerOnTypedAndRawCalls() throws Exception {
        try (QuantbotStorageClient client = server.clientBuilder().bearerToken("s3cret-token").build()) {
            client.state().batchGet("ns", List.of("k"));
            client.artifacts().getServerInfo();
            client.stateStub().withDeadlineAfter(5, TimeUnit.SECONDS).list(ListRequest.newBuilder().setNamespace("ns").build());
            CompletableFuture<ServerInfo> asyncAnswer = new CompletableFuture<>();
            client.artifactAsyncStub().getServerInfo(GetServerInfoRequest.getDefaultInstance(), observer(asyncAnswer));
            asyncAnswer.get(5, TimeUnit.SECONDS);

            assertThat(server.authorizationByMethod)
                    .containsEntry("BatchGet", "Bearer s3cret-token")
                    .containsEntry("GetServerInfo", "Bearer s3cret-token")
                    .containsEntry("List", "Bearer s3cret-token");
        }
    }

    @Test
    void bearerTokenFileIsReadAndTrimmed() throws Exception {
        Path tokenFile = Files.writeString(temporary.resolve("token"), "  file-token\n");
        try (QuantbotStorageClient client = server.clientBuilder().bearerTokenFile(tokenFile).build()) {
            client.artifacts().getServerInfo();

            assertThat(server.authorizationByMethod).containsEntry("GetServerInfo", "Bearer file-token");
        }
    }

    @Test
    void withoutATokenNoAuthorizationIsSent() throws Exception {
        try (QuantbotStorageClient client = server.clientBuilder().build()) {
            client.artifacts().getServerInfo();

            assertThat(server.authorizationByMethod).containsEntry("GetServerInfo", "");
        }
    }

    @Test
    void badTokensAreRejectedAtBuildTime() throws Exception {
        assertThatThrownBy(() -> QuantbotStorageClient.builder().bearerToken(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuantbotStorageClient.builder().bearerToken("two words")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QuantbotStorageClient.builder().bearerTokenFile(temporary.resolve("missing")))
                .isInstanceOf(UncheckedIOException.class);
        Path empty = temporary.resolve("empty-token");
        Files.writeString(empty, " \n");
        assertThatThrownBy(() -> QuantbotStorageClient.builder().bearerTokenFile(empty))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is empty").hasMessageContaining(empty.toString());
    }

    @Test
    void tlsWithTokenOverLoopback() throws Exception {
        Path trustCertificate = copyTestCertificate("ca.pem");
        try (LoopbackServer tlsServer = new LoopbackServer(tlsCredentials(), Optional.of("tls-token"))) {
            try (QuantbotStorageClient client = QuantbotStorageClient.builder()
                    .forAddress("127.0.0.1", tlsServer.port())
                    .tls(trustCertificate)
                    .overrideAuthority(TEST_AUTHORITY)
                    .bearerToken("tls-token")
                    .build()) {
                assertThat(client.artifacts().getServerInfo().getVersion()).isEqualTo("0.1.0-fake");
                assertThat(client.state().get("ns", "missing")).isEmpty();
            }

            try (QuantbotStorageClient withoutToken = QuantbotStorageClient.builder()
                    .forAddress("127.0.0.1", tlsServer.port())
                    .tls(trustCertificate)
                    .overrideAuthority(TEST_AUTHORITY)
                    .build()) {
                assertThatThrownBy(() -> withoutToken.artifacts().getServerInfo()).isInstanceOf(UnauthenticatedException.class);
            }

            try (QuantbotStorageClient plaintext = QuantbotStorageClient.builder()
                    .forAddress("127.0.0.1", tlsServer.port())
                    .bearerToken("tls-token")
                    .defaultDeadline(Duration.ofSeconds(5))
                    .build()) {
                assertThatThrownBy(() -> plaintext.artifacts().getServerInfo()).isInstanceOf(UnavailableException.class);
            }
        }
    }

    @Test
    void tlsRejectsAnUntrustedServer() throws Exception {
        // Trusting the server's own leaf certificate is not trusting its CA.
        Path wrongTrust = copyTestCertificate("badserver.pem");
        try (LoopbackServer tlsServer = new LoopbackServer(tlsCredentials(), Optional.empty());
                QuantbotStorageClient client = QuantbotStorageClient.builder()
                        .forAddress("127.0.0.1", tlsServer.port())
                        .tls(wrongTrust)
                        .overrideAuthority(TEST_AUTHORITY)
                        .retryPolicy(RetryPolicy.noRetries())
                        .build()) {
            assertThatThrownBy(() -> client.artifacts().getServerInfo()).isInstanceOf(UnavailableException.class);
        }
    }

    private static ServerCredentials tlsCredentials() throws Exception {
        try (InputStream chain = TlsTesting.loadCert("server1.pem"); InputStream key = TlsTesting.loadCert("server1.key")) {
            return TlsServerCredentials.create(chain, key);
        }
    }

    private Path copyTestCertificate(String name) throws Exception {
        Path target = temporary.resolve(name);
        try (InputStream certificate = TlsTesting.loadCert(name)) {
            Files.copy(certificate, target);
        }
        return target;
    }

    private static <T> StreamObserver<T> observer(CompletableFuture<T> answer) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable failure) {
                answer.completeExceptionally(failure);
            }

            @Override
            public void onCompleted() {}
        };
    }
}
