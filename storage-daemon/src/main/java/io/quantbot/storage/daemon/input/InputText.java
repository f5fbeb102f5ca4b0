package io.quantbot.storage.daemon.input;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The one check every client-supplied path and name passes before the daemon uses it (gRPC fields,
 * HTTP query parameters, CLI arguments). A value is refused, as INVALID_ARGUMENT naming the field,
 * when it holds a character that does not print or prints differently from what it is: NUL and every
 * other control character (C0, DEL, C1: so no {@code \r}, {@code \n}, {@code \t}), Unicode format
 * characters (zero-width spaces and joiners, bidi overrides such as U+202E, the BOM, soft hyphens),
 * line and paragraph separators, noncharacters, unpaired surrogates and U+FFFD (what a decoder puts
 * in place of bytes that were not UTF-8); when it is longer than its
 * limit; when it is empty or whitespace only where a value is required, or starts or ends with
 * whitespace. Paths are further refused with a {@code ..} segment (PATH_NOT_ALLOWED), a segment over
 * 255 bytes, more than 4096 bytes in all, or a relative path where an absolute one is required. Where
 * a path may lead (import roots, outside the data dir) is the caller's second check, on the real path.
 */
public final class InputText {
    /** Linux PATH_MAX. */
    public static final int MAX_PATH_BYTES = 4096;
    /** Linux NAME_MAX. */
    public static final int MAX_SEGMENT_BYTES = 255;
    private static final int SHOWN = 80;

    /** What kind of path a field takes. */
    public enum PathKind {
        ABSOLUTE,
        ABSOLUTE_OR_RELATIVE
    }

    private InputText() {}

    /** A required name: 1 to maxLength characters, nothing invisible, no surrounding whitespace. */
    public static String name(String field, String value, int maxLength) {
        if (value == null || value.isEmpty()) {
            throw invalid(field, field + " is required");
        }
        return optionalName(field, value, maxLength);
    }

    /** Like {@link #name}, but empty is allowed (the field's default applies). */
    public static String optionalName(String field, String value, int maxLength) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        checkCharacters(field, value);
        if (value.codePointCount(0, value.length()) > maxLength) {
            throw invalid(field, field + " is " + value.codePointCount(0, value.length()) + " characters long; the limit is " + maxLength);
        }
        if (value.isBlank()) {
            throw invalid(field, field + " is only whitespace");
        }
        if (isSpace(value.codePointAt(0)) || isSpace(value.codePointBefore(value.length()))) {
            throw invalid(field, field + " '" + shown(value) + "' starts or ends with whitespace");
        }
        return value;
    }

    /** Every key and value of a tag map: keys are names of at most maxKey, values at most maxValue (may be empty). */
    public static void tags(String field, Map<String, String> tags, int maxTags, int maxKey, int maxValue) {
        if (tags.size() > maxTags) {
            throw invalid(field, field + " has " + tags.size() + " entries; the limit is " + maxTags);
        }
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            name(field + " key", tag.getKey(), maxKey);
            optionalName(field + "[" + shown(tag.getKey()) + "]", tag.getValue(), maxValue);
        }
    }

    /** Tags as every call takes them: at most 64, keys 1 to 128 characters, values at most 1024. */
    public static void tags(String field, Map<String, String> tags) {
        tags(field, tags, 64, 128, 1024);
    }

    /** A required path of the given kind, as a normalized {@link Path}. */
    public static Path path(String field, String value, PathKind kind) {
        if (value == null || value.isEmpty()) {
            throw invalid(field, field + " is required");
        }
        checkCharacters(field, value);
        if (value.isBlank()) {
            throw invalid(field, field + " is only whitespace");
        }
        if (isSpace(value.codePointAt(0)) || isSpace(value.codePointBefore(value.length()))) {
            throw invalid(field, field + " '" + shown(value) + "' starts or ends with whitespace");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw invalid(field, field + " is " + bytes + " bytes long; the limit is " + MAX_PATH_BYTES);
        }
        for (String segment : value.split("/")) {
            if (segment.equals("..")) {
                throw StorageException.builder(ErrorCode.PATH_NOT_ALLOWED, field + " '" + shown(value) + "' must not contain '..'")
                        .violation(field, "must not contain '..'").build();
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw invalid(field, field + " has a path segment longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw invalid(field, field + " '" + shown(value) + "' is not a valid path: " + e.getReason());
        }
        if (kind == PathKind.ABSOLUTE && !path.isAbsolute()) {
            throw invalid(field, field + " '" + shown(value) + "' must be an absolute path");
        }
        return path.normalize();
    }

    /**
     * A file's place inside a folder a client sends (e.g. {@code candles/a.csv}): relative, '/'-separated,
     * at most {@code maxDepth} segments and 1,024 bytes, no empty, '.' or '..' segment, no segment starting
     * with '.', no backslash, and the characters every name allows. Returns the segments.
     */
    public static java.util.List<String> entryPath(String field, String value, int maxDepth) {
        if (value == null || value.isEmpty()) {
            throw invalid(field, field + " is required");
        }
        checkCharacters(field, value);
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 1024) {
            throw invalid(field, field + " is " + bytes + " bytes long; the limit is 1024");
        }
        if (value.indexOf('\\') >= 0) {
            throw notAllowed(field, value, "must use '/' between folders, never '\\'");
        }
        if (value.startsWith("/")) {
            throw notAllowed(field, value, "must be relative to the snapshot folder");
        }
        String[] segments = value.split("/", -1);
        if (segments.length > maxDepth) {
            throw notAllowed(field, value, "is more than " + maxDepth + " folders deep");
        }
        for (String segment : segments) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw notAllowed(field, value, "must not have an empty, '.' or '..' segment");
            }
            if (segment.startsWith(".")) {
                throw notAllowed(field, value, "must not name a hidden file or folder (a segment starting with '.')");
            }
            if (isSpace(segment.codePointAt(0)) || isSpace(segment.codePointBefore(segment.length()))) {
                throw invalid(field, field + " '" + shown(value) + "' has a segment that starts or ends with whitespace");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw invalid(field, field + " has a path segment longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
        }
        return java.util.List.of(segments);
    }

    private static StorageException notAllowed(String field, String value, String rule) {
        return StorageException.builder(ErrorCode.PATH_NOT_ALLOWED, field + " '" + shown(value) + "' " + rule).violation(field, rule).build();
    }

    /** The first character a name or path must not hold, if any. */
    public static Optional<String> characterProblem(String value) {
        for (int i = 0; i < value.length(); ) {
            int codePoint = value.codePointAt(i);
            String problem = problem(value, i, codePoint);
            if (problem != null) {
                return Optional.of(problem);
            }
            i += Character.charCount(codePoint);
        }
        return Optional.empty();
    }

    private static void checkCharacters(String field, String value) {
        characterProblem(value).ifPresent(problem -> {
            throw invalid(field, field + " " + problem);
        });
    }

    private static String problem(String value, int index, int codePoint) {
        if (codePoint == 0) {
            return "contains a NUL character at position " + index;
        }
        if (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE) {
            return "is not valid Unicode (an unpaired surrogate at position " + index + ")";
        }
        int type = Character.getType(codePoint);
        if (type == Character.CONTROL) {
            return "contains the control character " + codePointName(codePoint) + " at position " + index;
        }
        if (type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
            return "contains the invisible or direction-changing character " + codePointName(codePoint) + " at position " + index;
        }
        if (codePoint == 0xFFFD) {
            return "contains U+FFFD, the replacement character (the text was not valid UTF-8), at position " + index;
        }
        if ((codePoint & 0xFFFE) == 0xFFFE || (codePoint >= 0xFDD0 && codePoint <= 0xFDEF)) {
            return "contains the noncharacter " + codePointName(codePoint) + " at position " + index;
        }
        return null;
    }

    private static boolean isSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }

    private static String codePointName(int codePoint) {
        return String.format("U+%04X", codePoint);
    }

    /** The value for a message: invisible characters escaped, at most 80 characters. */
    public static String shown(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < SHOWN; ) {
            int codePoint = value.codePointAt(i);
            if (problem(value, i, codePoint) != null || (codePoint < 0x7f && codePoint < 0x20)) {
                out.append(String.format("\\u%04x", codePoint));
            } else {
                out.appendCodePoint(codePoint);
            }
            i += Character.charCount(codePoint);
        }
        return out.length() >= SHOWN && value.length() > SHOWN ? out + "..." : out.toString();
    }

    private static StorageException invalid(String field, String message) {
        return StorageException.builder(ErrorCode.INVALID_ARGUMENT, message).violation(field, message).build();
    }
}
