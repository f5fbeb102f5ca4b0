package io.quantbot.storage.daemon.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the one validator refuses and keeps, including what a gRPC client cannot send (unpaired surrogates). */
class InputTextTest {
    @Test
    void refusesInvisibleAndBrokenText() {
        for (String value : List.of("a\uD800b", "a\uDC00", "\uD83D", "a\u0000", "a\u009Fb", "a\u061Cb", "a\u180Eb", "a\uFFFF", "a\uFDD0",
                "a\uDBFF\uDFFF", "a\u200Eb", "a\u2064")) {
            assertThatThrownBy(() -> InputText.name("f", value, 100)).as(InputText.shown(value))
                    .isInstanceOfSatisfying(StorageException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                        assertThat(e.violations()).extracting(v -> v.field()).containsExactly("f");
                    });
        }
    }

    @Test
    void keepsOrdinaryUnicode() {
        for (String value : List.of("snapshot=2026-01/chain=solana", "café", "日本語", "emoji 🚀 ok", "a b", "x".repeat(100), "\uD83D\uDE80",
                "Ünïcödé-ñame", "a\u00A0b")) {
            assertThat(InputText.name("f", value, 100)).isEqualTo(value);
        }
        assertThat(InputText.optionalName("f", "", 10)).isEmpty();
        InputText.tags("tags", Map.of("k", "", "sweep", "s1"));
    }

    @Test
    void pathsAreCheckedLikeNamesAndMore() {
        assertThat(InputText.path("p", "/data/imports/snap", InputText.PathKind.ABSOLUTE)).isEqualTo(Path.of("/data/imports/snap"));
        assertThat(InputText.path("p", "snap/./x", InputText.PathKind.ABSOLUTE_OR_RELATIVE)).isEqualTo(Path.of("snap/x"));
        assertThatThrownBy(() -> InputText.path("p", "snap", InputText.PathKind.ABSOLUTE)).hasMessageContaining("absolute");
        assertThatThrownBy(() -> InputText.path("p", "/a/../b", InputText.PathKind.ABSOLUTE))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PATH_NOT_ALLOWED));
        assertThatThrownBy(() -> InputText.path("p", "/a/b\0c", InputText.PathKind.ABSOLUTE)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> InputText.path("p", "/" + "é".repeat(128), InputText.PathKind.ABSOLUTE)).hasMessageContaining("255 bytes");
        assertThatThrownBy(() -> InputText.path("p", "", InputText.PathKind.ABSOLUTE)).hasMessageContaining("required");
    }

    @Test
    void entryPathsKeepOrdinaryNamesAndRefuseEscapes() {
        assertThat(InputText.entryPath("p", "candles/solana_TinyTokenAAA.csv", 8)).containsExactly("candles", "solana_TinyTokenAAA.csv");
        assertThat(InputText.entryPath("p", "données de marché/éé 1.csv", 8)).containsExactly("données de marché", "éé 1.csv");
        assertThat(InputText.entryPath("p", "a/b/c/d/e/f/g/h.csv", 8)).hasSize(8);
        for (String value : List.of("../x", "a/../x", "/x", "a//x", "a/", "./x", ".x", "a/.git/x", "a\\x", "a/b/c/d/e/f/g/h/i.csv")) {
            assertThatThrownBy(() -> InputText.entryPath("p", value, 8)).as(value)
                    .isInstanceOfSatisfying(StorageException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.PATH_NOT_ALLOWED);
                        assertThat(e.violations()).extracting(v -> v.field()).containsExactly("p");
                    });
        }
        assertThatThrownBy(() -> InputText.entryPath("p", "a/b\0c", 8)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> InputText.entryPath("p", "", 8)).hasMessageContaining("required");
    }

    @Test
    void messagesShowInvisibleCharactersEscapedAndShort() {
        assertThat(InputText.shown("a\u202Eb\r\n")).isEqualTo("a\\u202eb\\u000d\\u000a");
        assertThat(InputText.shown("x".repeat(500))).hasSize(83).endsWith("...");
    }
}
