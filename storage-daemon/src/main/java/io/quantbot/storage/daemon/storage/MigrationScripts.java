package io.quantbot.storage.daemon.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The versioned SQL migration files every engine ships (DuckDB's under {@code /db/migration/}, PostgreSQL's under
 * {@code /db/postgres/}): reading one from the classpath, its checksum (recorded when applied, so an edited file is
 * caught), and its statements. Each engine applies them its own way (storage/duckdb SchemaMigrator,
 * storage/postgres PostgresMigrator).
 */
public final class MigrationScripts {
    private MigrationScripts() {}

    /** The text of {@code folder/name} on the classpath; a missing file fails (a build defect, not a runtime state). */
    public static String read(String folder, String name) {
        String path = folder + "/" + name;
        try (InputStream input = MigrationScripts.class.getResourceAsStream(path)) {
            if (input == null) {
                throw new IllegalStateException("missing migration resource " + path);
            }
            return new String(input.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SHA-256 of the text, lower-case hex: the checksum a migration is recorded with. */
    public static String checksum(String sql) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sql.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The statements of a migration: split on semicolons at line ends, {@code --} comments dropped. The files keep one
     * statement per such terminator and no procedural blocks ({@code DO $$ ... $$}) whose bodies hold them.
     */
    public static List<String> splitStatements(String sql) {
        StringBuilder withoutComments = new StringBuilder();
        for (String line : sql.split("\n", -1)) {
            int comment = line.indexOf("--");
            withoutComments.append(comment >= 0 ? line.substring(0, comment) : line).append('\n');
        }
        return java.util.Arrays.stream(withoutComments.toString().split(";\\s*\n"))
                .map(String::trim)
                .map(part -> part.endsWith(";") ? part.substring(0, part.length() - 1) : part)
                .filter(part -> !part.isEmpty())
                .toList();
    }
}
