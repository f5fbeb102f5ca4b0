package io.quantbot.storage.daemon.server;

import static java.util.Objects.requireNonNull;

import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.SecurityConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens and their roles, from auth.tokens-file and auth.tokens. Tokens are kept only as
 * SHA-256 digests and compared in constant time. The file is re-read when it changes (checked at most
 * every few seconds); a bad new file is reported and the previous tokens stay in force.
 */
@Singleton
public final class TokenStore {
    private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
    private static final long RECHECK_NANOS = 2_000_000_000L;
    private static final int MIN_TOKEN_LENGTH = 16;

    /** Who a token belongs to. */
    public record Principal(String name, Role role) {}

    private final SecurityConfig config;
    private final LongSupplier ticker;
    private volatile Map<String, Principal> byDigest = Map.of();
    private volatile FileTime loadedModified;
    private volatile long lastCheck;

    @Inject
    public TokenStore(SecurityConfig config) {
        this(config, System::nanoTime);
    }

    /** With the ticker that times the re-checks of the file (tests move it by hand). */
    TokenStore(SecurityConfig config, LongSupplier ticker) {
        this.config = requireNonNull(config, "config is null");
        this.ticker = requireNonNull(ticker, "ticker is null");
        lastCheck = ticker.getAsLong();
        if (config.authEnabled()) {
            byDigest = load();
        }
    }

    public boolean enabled() {
        return config.authEnabled();
    }

    public Optional<Principal> authenticate(String token) {
        reloadIfChanged();
        Principal principal = byDigest.get(digest(token));
        return Optional.ofNullable(principal);
    }

    private void reloadIfChanged() {
        long now = ticker.getAsLong();
        if (config.tokensFile().isEmpty() || now - lastCheck < RECHECK_NANOS) {
            return;
        }
        lastCheck = now;
        try {
            FileTime modified = Files.getLastModifiedTime(config.tokensFile().get());
            if (!modified.equals(loadedModified)) {
                byDigest = load();
                log.info("Reloaded {} auth tokens from {}", byDigest.size(), config.tokensFile().get());
            }
        } catch (IOException | ConfigException e) {
            log.error("Cannot reload the auth tokens; the previous ones stay in force: {}", e.getMessage());
        }
    }

    /** What is wrong with the configured tokens (file and inline), all at once; empty when auth is off or the tokens are good. */
    public static List<String> problems(SecurityConfig config) {
        if (!config.authEnabled()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        read(config, problems);
        return problems;
    }

    private Map<String, Principal> load() {
        List<String> problems = new ArrayList<>();
        if (config.tokensFile().isPresent()) {
            try {
                loadedModified = Files.getLastModifiedTime(config.tokensFile().get());
            } catch (IOException e) {
                // read() reports the unreadable file
            }
        }
        Map<String, Principal> tokens = read(config, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return tokens;
    }

    private static Map<String, Principal> read(SecurityConfig config, List<String> problems) {
        Map<String, Principal> tokens = new HashMap<>();
        if (config.tokensFile().isPresent()) {
            Path file = config.tokensFile().get();
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    String[] parts = line.split("\\s+");
                    add(tokens, parts, file + ":" + (i + 1), problems);
                }
            } catch (IOException e) {
                problems.add("cannot read auth.tokens-file " + file + ": " + e.getMessage());
            }
        }
        if (!config.inlineTokens().isEmpty()) {
            String[] entries = config.inlineTokens().split(",");
            for (int i = 0; i < entries.length; i++) {
                add(tokens, entries[i].strip().split(":", 3), "auth.tokens entry " + (i + 1), problems);
            }
        }
        if (problems.isEmpty() && tokens.isEmpty()) {
            problems.add("auth is configured but holds no token");
        }
        return Map.copyOf(tokens);
    }

    private static void add(Map<String, Principal> tokens, String[] parts, String where, List<String> problems) {
        if (parts.length != 3) {
            problems.add(where + ": expected '<name> <role> <token>' (inline: '<name>:<role>:<token>')");
            return;
        }
        Optional<Role> role = Role.parse(parts[1]);
        if (role.isEmpty()) {
            problems.add(where + ": role must be read, write or admin, not '" + parts[1] + "'");
            return;
        }
        if (parts[2].length() < MIN_TOKEN_LENGTH) {
            problems.add(where + ": the token of " + parts[0] + " is shorter than " + MIN_TOKEN_LENGTH + " characters");
            return;
        }
        if (tokens.put(digest(parts[2]), new Principal(parts[0], role.get())) != null) {
            problems.add(where + ": the token of " + parts[0] + " is already given to someone else");
        }
    }

    private static String digest(String token) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            // Map lookup on a digest, not the token: the comparison time does not depend on the secret.
            return java.util.HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
