package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportRootsTest {
    @TempDir
    Path dir;

    private Path root;
    private Path staging;
    private Path outside;
    private ImportRoots roots;

    @BeforeEach
    void folders() throws Exception {
        root = Files.createDirectories(dir.resolve("imports"));
        staging = Files.createDirectories(dir.resolve("staging"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.createDirectories(root.resolve("snap/candles"));
        Files.writeString(outside.resolve("secret.csv"), "x\n");
        roots = new ImportRoots(List.of(root));
    }

    @Test
    void pathsInsideARootResolveToTheirRealPath() throws Exception {
        assertThat(roots.resolve(root.resolve("snap"), "source_dir", List.of())).isEqualTo(root.resolve("snap").toRealPath());
        assertThat(roots.resolve(Path.of("snap/candles"), "source_dir", List.of())).isEqualTo(root.resolve("snap/candles").toRealPath());
        assertThat(roots.resolve(root.resolve("./snap/./candles"), "source_dir", List.of())).isEqualTo(root.resolve("snap/candles").toRealPath());
        Path inRoot = Files.createSymbolicLink(root.resolve("alias"), root.resolve("snap"));
        assertThat(roots.resolve(inRoot, "source_dir", List.of())).isEqualTo(root.resolve("snap").toRealPath());
    }

    @Test
    void aRootThatIsItselfALinkStillCounts() throws Exception {
        Path linkedRoot = Files.createSymbolicLink(dir.resolve("linked-imports"), root);
        ImportRoots viaLink = new ImportRoots(List.of(linkedRoot));
        assertThat(viaLink.resolve(linkedRoot.resolve("snap"), "source_dir", List.of())).isEqualTo(root.resolve("snap").toRealPath());
        assertThat(viaLink.resolve(root.resolve("snap"), "source_dir", List.of())).isEqualTo(root.resolve("snap").toRealPath());
    }

    @Test
    void outsideTheRoots() {
        assertRefused(outside, ErrorCode.PATH_NOT_ALLOWED, "is outside the import roots [" + root + "]");
        assertRefused(outside.resolve("missing"), ErrorCode.PATH_NOT_ALLOWED, "is outside the import roots");
        assertRefused(Path.of("/etc/passwd"), ErrorCode.PATH_NOT_ALLOWED, "is outside the import roots");
        assertRefused(dir.resolve("imports-2"), ErrorCode.PATH_NOT_ALLOWED, "is outside the import roots");
    }

    @Test
    void dotDotIsRefusedEvenWhenItWouldStayInside() {
        assertRefused(root.resolve("snap/../snap"), ErrorCode.PATH_NOT_ALLOWED, "must not contain '..'");
        assertRefused(Path.of("../outside"), ErrorCode.PATH_NOT_ALLOWED, "must not contain '..'");
    }

    @Test
    void symlinkEscapes() throws Exception {
        Path folderLink = Files.createSymbolicLink(root.resolve("escape"), outside);
        Path fileLink = Files.createSymbolicLink(root.resolve("secret.csv"), outside.resolve("secret.csv"));
        assertRefused(folderLink, ErrorCode.PATH_NOT_ALLOWED, "leads through a symbolic link to a place outside the import roots");
        assertRefused(folderLink.resolve("secret.csv"), ErrorCode.PATH_NOT_ALLOWED, "leads through a symbolic link");
        assertRefused(fileLink, ErrorCode.PATH_NOT_ALLOWED, "leads through a symbolic link");
    }

    @Test
    void existenceIsCheckedLast() {
        assertRefused(root.resolve("nope"), ErrorCode.INVALID_ARGUMENT, "does not exist");
        assertRefused(Path.of(""), ErrorCode.INVALID_ARGUMENT, "source_dir is required");
    }

    @Test
    void extraFoldersAreAllowedWhereTheCallerSaysSo() throws Exception {
        Path streamed = Files.writeString(staging.resolve("rows.arrow"), "x");
        assertRefused(streamed, ErrorCode.PATH_NOT_ALLOWED, "outside the import roots");
        assertThat(roots.resolve(streamed, "source_path", List.of(staging))).isEqualTo(streamed.toRealPath());
    }

    private void assertRefused(Path path, ErrorCode code, String message) {
        assertThatThrownBy(() -> roots.resolve(path, "source_dir", List.of()))
                .as("%s", path)
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(message);
                    assertThat(e.violations()).singleElement().satisfies(v -> assertThat(v.field()).isEqualTo("source_dir"));
                });
    }
}
