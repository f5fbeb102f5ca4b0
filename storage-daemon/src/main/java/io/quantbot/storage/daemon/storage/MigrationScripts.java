package io.quantbot.storage.daemon.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The versioned SQL migration files every engine ships (DuckDB's under {@code /db/migration/}, PostgreSQL's under
 * {@code /db/postgres/}): reading one from the classpath, its checksum (recorded when applied, so an edited file is
 * caught), and its statements. Each engine applies them its own way (storage/duckdb SchemaMigrator,
 * storage/postgres PostgresMigrator).
 */
public final class MigrationScripts {
    private MigrationScripts() {}

    /** One migration: its version (the order), what it does, and its file in the engine's folder. */
    public record Migration(int version, String description, String resource) {
        public Migration {
            java.util.Objects.requireNonNull(description, "description is null");
            java.util.Objects.requireNonNull(resource, "resource is null");
        }
    }

    /** A migration still to apply, with its text and checksum. */
    public record Pending(Migration migration, String sql, String checksum) {}

    /**
     * The migrations a database still needs, in order, given what it has applied (version to checksum). Refuses a
     * database migrated by a newer daemon (downgrades are not supported) and a shipped migration whose text changed.
     *
     * @param database what the messages call the database ("the database", "the cluster's PostgreSQL")
     */
    public static List<Pending> pending(String database, String folder, List<Migration> migrations, Map<Integer, String> applied) {
        int newestKnown = newest(migrations);
        int newestApplied = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (newestApplied > newestKnown) {
            throw new IllegalStateException(database + " has schema version " + newestApplied + " but this daemon only knows versions up to "
                    + newestKnown + ": it was migrated by a newer daemon; run that version (downgrades are not supported)");
        }
        List<Pending> pending = new ArrayList<>();
        for (Migration migration : migrations) {
            String sql = read(folder, migration.resource());
            String checksum = checksum(sql);
            String known = applied.get(migration.version());
            if (known == null) {
                pending.add(new Pending(migration, sql, checksum));
            } else if (!known.equals(checksum)) {
                throw new IllegalStateException("schema migration " + migration.version() + " (" + migration.description() + ") of "
                        + database + " differs from the one applied to it; migrations must never change once shipped");
            }
        }
        return pending;
    }

    /** The version a database is at once every migration is applied. */
    public static int newest(List<Migration> migrations) {
        return migrations.get(migrations.size() - 1).version();
    }

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
