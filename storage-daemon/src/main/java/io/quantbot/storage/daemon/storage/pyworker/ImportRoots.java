package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where client-named source paths may point: inside the configured import roots (and, for published
 * files, the staging folder the daemon streams rows into). Checked before anything reaches a worker,
 * which checks again. {@code ..} is refused outright; symlinks are followed and the target must still
 * be inside a root; existence is checked last, so a path outside the roots reveals nothing.
 */
final class ImportRoots {
    private final List<Path> roots;

    ImportRoots(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    List<Path> roots() {
        return roots;
    }

    /**
     * The real path of {@code requested}: absolute, or relative to the first root where it exists.
     *
     * @param what the argument's name in messages ("source_dir")
     * @param extra more allowed folders beyond the import roots (not named in messages)
     */
    Path resolve(Path requested, String what, List<Path> extra) {
        String text = requested.toString();
        if (text.isBlank()) {
            throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, what + " is required").violation(what, "required").build();
        }
        if (text.indexOf('\0') >= 0) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, what, what + " contains a NUL character");
        }
        for (Path part : requested) {
            if (part.toString().equals("..")) {
                throw invalid(ErrorCode.PATH_NOT_ALLOWED, what, what + " '" + text + "' must not contain '..'");
            }
        }
        List<Path> allowed = new ArrayList<>(roots);
        allowed.addAll(extra);
        Path candidate = requested.isAbsolute() ? requested.normalize() : locate(requested);
        List<Path> lexical = new ArrayList<>();
        List<Path> real = new ArrayList<>();
        for (Path root : allowed) {
            Path normalized = root.toAbsolutePath().normalize();
            lexical.add(normalized);
            Path target = realOrSelf(normalized);
            lexical.add(target);
            real.add(target);
        }
        if (!insideAny(candidate, lexical)) {
            throw invalid(ErrorCode.PATH_NOT_ALLOWED, what, what + " '" + text + "' is outside the import roots " + roots);
        }
        Path resolved;
        try {
            resolved = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, what, what + " '" + text + "' does not exist");
        } catch (IOException e) {
            throw invalid(ErrorCode.INVALID_ARGUMENT, what, what + " '" + text + "' cannot be read: " + e.getMessage());
        }
        if (!insideAny(resolved, real)) {
            throw invalid(ErrorCode.PATH_NOT_ALLOWED, what,
                    what + " '" + text + "' leads through a symbolic link to a place outside the import roots " + roots);
        }
        return resolved;
    }

    private Path locate(Path relative) {
        for (Path root : roots) {
            Path candidate = root.resolve(relative).normalize();
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        return roots.isEmpty() ? relative.toAbsolutePath().normalize() : roots.get(0).resolve(relative).normalize();
    }

    private static boolean insideAny(Path path, List<Path> roots) {
        for (Path root : roots) {
            if (path.startsWith(root)) {
                return true;
            }
        }
        return false;
    }

    private static Path realOrSelf(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    private static StorageException invalid(ErrorCode code, String field, String message) {
        return StorageException.builder(code, message).violation(field, message).build();
    }
}
