package io.quantbot.storage.daemon.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Bearer-token auth and TLS. Binding gRPC to anything but loopback requires tokens. */
public record SecurityConfig(Optional<Path> tokensFile, String inlineTokens, Optional<Path> tlsCertFile, Optional<Path> tlsKeyFile,
        Optional<Path> tlsClientCaFile) {

    public static final ConfigProperty<String> TOKENS_FILE = ConfigProperty.of(
            "auth.tokens-file", "",
            "Bearer tokens with roles, one per line: '<name> <read|write|admin> <token>' (# comments). Empty = no auth, only allowed"
                    + " on a loopback grpc.host. Re-read when the file changes.",
            String::trim);
    public static final ConfigProperty<String> TOKENS = ConfigProperty.secret(
            "auth.tokens", "",
            "The same entries inline, comma-separated '<name>:<role>:<token>' (e.g. from a secret environment variable)."
                    + " Added to auth.tokens-file.",
            String::trim);
    public static final ConfigProperty<String> TLS_CERT_FILE = ConfigProperty.of(
            "tls.cert-file", "", "PEM certificate chain of the gRPC server; with tls.key-file turns TLS on.", String::trim);
    public static final ConfigProperty<String> TLS_KEY_FILE = ConfigProperty.of(
            "tls.key-file", "", "PEM private key (PKCS#8) of the gRPC server.", String::trim);
    public static final ConfigProperty<String> TLS_CLIENT_CA_FILE = ConfigProperty.of(
            "tls.client-ca-file", "", "PEM CA bundle; when set, clients must present a certificate signed by it (mutual TLS).", String::trim);

    public static final List<ConfigProperty<?>> PROPERTIES = List.of(TOKENS_FILE, TOKENS, TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE);

    public static SecurityConfig from(ResolvedConfig config) {
        ConfigException.throwIfAny(problems(config));
        return read(config);
    }

    private static SecurityConfig read(ResolvedConfig config) {
        return new SecurityConfig(path(config.get(TOKENS_FILE)), config.get(TOKENS), path(config.get(TLS_CERT_FILE)),
                path(config.get(TLS_KEY_FILE)), path(config.get(TLS_CLIENT_CA_FILE)));
    }

    /**
     * Every problem of this area (see {@link DaemonConfiguration#problems}): TLS keys that go together,
     * files that must exist, and the rule that only a loopback grpc.host may go without auth. The
     * tokens' contents are checked by the token store, with the rest of the validation.
     */
    public static List<String> problems(ResolvedConfig config) {
        SecurityConfig security = read(config);
        List<String> problems = new ArrayList<>();
        if (security.tlsCertFile.isPresent() != security.tlsKeyFile.isPresent()) {
            problems.add("tls.cert-file and tls.key-file go together: set both, or neither");
        }
        if (security.tlsClientCaFile.isPresent() && security.tlsCertFile.isEmpty()) {
            problems.add("tls.client-ca-file needs TLS: set tls.cert-file and tls.key-file too");
        }
        requireReadable(problems, config, TOKENS_FILE, security.tokensFile);
        if (security.tokensFile.isPresent() && !Files.exists(security.tokensFile.get())) {
            // Most often an unmounted container secret: say what the file holds and the alternative.
            problems.set(problems.size() - 1, problems.get(problems.size() - 1) + ": create it (one '<name> <read|write|admin>"
                    + " <token>' per line; in a container, mount it as that secret), or set auth.tokens-file to empty and give"
                    + " the tokens in auth.tokens");
        }
        requireReadable(problems, config, TLS_CERT_FILE, security.tlsCertFile);
        requireReadable(problems, config, TLS_KEY_FILE, security.tlsKeyFile);
        requireReadable(problems, config, TLS_CLIENT_CA_FILE, security.tlsClientCaFile);
        String host = config.get(ServerConfig.GRPC_HOST);
        if (!security.authEnabled() && !isLoopback(host)) {
            problems.add(ConfigChecks.describe(config, ServerConfig.GRPC_HOST) + " is " + host + ", which is not a loopback address: the daemon"
                    + " refuses to serve other machines without auth; set auth.tokens-file (or auth.tokens), ideally with TLS"
                    + " (tls.cert-file, tls.key-file)");
        }
        return problems;
    }

    private static void requireReadable(List<String> problems, ResolvedConfig config, ConfigProperty<String> property, Optional<Path> file) {
        if (file.isEmpty()) {
            return;
        }
        Path path = file.get();
        if (!Files.exists(path)) {
            problems.add(ConfigChecks.describe(config, property) + ": " + path + " does not exist");
        } else if (!Files.isRegularFile(path)) {
            problems.add(ConfigChecks.describe(config, property) + ": " + path + " is not a regular file");
        } else if (!Files.isReadable(path)) {
            problems.add(ConfigChecks.describe(config, property) + ": " + path + " is not readable (permission denied)");
        }
    }

    public boolean authEnabled() {
        return tokensFile.isPresent() || !inlineTokens.isEmpty();
    }

    public boolean tlsEnabled() {
        return tlsCertFile.isPresent();
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Optional<Path> path(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(Path.of(value).toAbsolutePath().normalize());
    }
}
