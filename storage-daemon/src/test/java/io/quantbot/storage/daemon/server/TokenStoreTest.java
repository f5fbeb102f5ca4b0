package io.quantbot.storage.daemon.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.config.DaemonConfiguration;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.config.SecurityConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token file's reload, on a ticker the test moves: re-read at most every 2 s, and only when it changed. */
class TokenStoreTest {
    private static final String FIRST = "first-token-0123456789abcdef";
    private static final String ROTATED = "rotated-token-0123456789abcd";

    @TempDir
    Path dir;

    private final AtomicLong ticker = new AtomicLong(7_000_000_000L);

    @Test
    void aChangedFileIsReloadedAtTheNextCheckAndNotBefore() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "sweeper write " + FIRST + "\n");
        TokenStore store = new TokenStore(security(file), ticker::get);
        assertThat(store.authenticate(FIRST)).map(TokenStore.Principal::role).hasValue(Role.WRITE);

        rewrite(file, "ops admin " + ROTATED + "\n", 5);
        advance(Duration.ofMillis(1_999));
        assertThat(store.authenticate(ROTATED)).as("within 2 s of the last check the file is not read").isEmpty();
        assertThat(store.authenticate(FIRST)).isPresent();

        advance(Duration.ofMillis(1));
        assertThat(store.authenticate(ROTATED)).map(TokenStore.Principal::role).hasValue(Role.ADMIN);
        assertThat(store.authenticate(FIRST)).isEmpty();
    }

    @Test
    void aBadNewFileKeepsThePreviousTokens() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "sweeper write " + FIRST + "\n");
        TokenStore store = new TokenStore(security(file), ticker::get);
        rewrite(file, "sweeper write short\n", 5);
        advance(Duration.ofSeconds(2));
        assertThat(store.authenticate(FIRST)).as("the previous tokens stay in force").isPresent();
        assertThat(store.authenticate("short")).isEmpty();

        // Fixed later: the next check (2 s on) takes it.
        rewrite(file, "ops admin " + ROTATED + "\n", 10);
        advance(Duration.ofSeconds(2));
        assertThat(store.authenticate(ROTATED)).isPresent();
    }

    @Test
    void anUnchangedFileIsNotReadAgain() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "sweeper write " + FIRST + "\n");
        FileTime stamp = Files.getLastModifiedTime(file);
        TokenStore store = new TokenStore(security(file), ticker::get);
        // Same modification time, new content: the store trusts the stamp and keeps what it loaded.
        Files.writeString(file, "ops admin " + ROTATED + "\n");
        Files.setLastModifiedTime(file, stamp);
        advance(Duration.ofSeconds(5));
        assertThat(store.authenticate(FIRST)).isPresent();
        assertThat(store.authenticate(ROTATED)).isEmpty();
    }

    private void advance(Duration step) {
        ticker.addAndGet(step.toNanos());
    }

    private static void rewrite(Path file, String content, int secondsLater) throws Exception {
        FileTime before = Files.getLastModifiedTime(file);
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + secondsLater * 1_000L));
    }

    private static SecurityConfig security(Path file) {
        return SecurityConfig.from(ResolvedConfig.of(DaemonConfiguration.properties(), Map.of("auth.tokens-file", file.toString())));
    }
}
