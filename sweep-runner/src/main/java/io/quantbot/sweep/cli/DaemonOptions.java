package io.quantbot.sweep.cli;

import io.quantbot.storage.client.QuantbotStorageClient;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the storage daemon is and how to reach it: the options of the commands that only talk to it ({@code sweeps}). */
final class DaemonOptions {
    @Option(names = "--target", paramLabel = "HOST:PORT",
            defaultValue = "${env:QUANTBOT_TARGET:-" + SweepOptions.DEFAULT_TARGET + "}",
            description = "The storage daemon's gRPC address; also QUANTBOT_TARGET (default: " + SweepOptions.DEFAULT_TARGET + ").")
    String target;

    @Option(names = "--token-file", paramLabel = "PATH", defaultValue = "${env:QUANTBOT_TOKEN_FILE}",
            description = "File holding the bearer token sent with every call (a daemon with auth needs one); "
                    + "also QUANTBOT_TOKEN_FILE. QUANTBOT_TOKEN holds the token itself when no file is given.")
    Path tokenFile;

    @Option(names = "--tls-ca", paramLabel = "PEM", defaultValue = "${env:QUANTBOT_TLS_CA}",
            description = "Connect with TLS, trusting the CA certificate(s) in this PEM file; also QUANTBOT_TLS_CA.")
    Path tlsCa;

    @Option(names = "--tls-authority", paramLabel = "HOST",
            description = "Check the daemon's certificate against this host name instead of the target's.")
    String tlsAuthority;

    /** A client for the target; the channel connects lazily, so nothing is checked before the first call. */
    QuantbotStorageClient client() throws UsageException {
        return connect(target, tokenFile, tlsCa, tlsAuthority);
    }

    /** The client {@code run}, {@code demo} and {@code sweeps} build from the same four options. */
    static QuantbotStorageClient connect(String target, Path tokenFile, Path tlsCa, String tlsAuthority) throws UsageException {
        SweepOptions.checkTarget(target);
        QuantbotStorageClient.Builder builder;
        try {
            builder = QuantbotStorageClient.builder().target(target);
        }
        catch (IllegalArgumentException e) {
            throw new UsageException("--target " + target + ": " + e.getMessage());
        }
        String envToken = System.getenv("QUANTBOT_TOKEN");
        try {
            if (tokenFile != null) {
                builder.bearerTokenFile(tokenFile);
            }
            else if (envToken != null && !envToken.isBlank()) {
                builder.bearerToken(envToken.strip());
            }
        }
        catch (UncheckedIOException | IllegalArgumentException e) {
            throw new UsageException((tokenFile != null ? "--token-file: " : "QUANTBOT_TOKEN: ") + e.getMessage());
        }
        if (tlsCa != null) {
            if (!Files.isReadable(tlsCa)) {
                throw new UsageException("--tls-ca " + tlsCa + ": no readable file there");
            }
            builder.tls(tlsCa);
        }
        if (tlsAuthority != null) {
            if (tlsCa == null) {
                throw new UsageException("--tls-authority needs --tls-ca");
            }
            builder.overrideAuthority(tlsAuthority);
        }
        return builder.build();
    }
}
