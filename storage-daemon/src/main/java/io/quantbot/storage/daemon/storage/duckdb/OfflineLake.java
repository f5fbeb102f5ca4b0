package io.quantbot.storage.daemon.storage.duckdb;

import io.quantbot.storage.daemon.storage.LakeIntegrity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quantbot.storage.daemon.config.DatabaseConfig;
import io.quantbot.storage.daemon.storage.StorageMaintenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The lake of a data dir no daemon is running on, read through its database opened read-only: for
 * the {@code lake verify} command. A running daemon holds the database's lock; then opening fails and
 * the caller is told to use POST /admin/verify instead.
 */
public final class OfflineLake {
    private OfflineLake() {}

    /** Thrown when the database cannot be opened (a daemon holds it, or it does not exist). */
    public static final class UnavailableException extends Exception {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static List<LakeIntegrity.Entry> entries(DatabaseConfig config) throws UnavailableException {
        Path database = config.databaseFile().orElseThrow(() -> new UnavailableException("duckdb.path is :memory:; there is no lake to verify", null));
        if (!Files.isRegularFile(database)) {
            throw new UnavailableException("there is no database at " + database + "; is data-dir right?", null);
        }
        Properties properties = new Properties();
        properties.setProperty("duckdb.read_only", "true");
        List<LakeIntegrity.Entry> entries = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:" + database, properties);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT artifact_id, path, file_hash, size_bytes FROM artifacts ORDER BY artifact_id")) {
            while (rows.next()) {
                entries.add(new LakeIntegrity.Entry(rows.getString(1), rows.getString(2), rows.getString(3), rows.getLong(4)));
            }
        } catch (SQLException e) {
            throw new UnavailableException("cannot open " + database + " read-only (" + e.getMessage().lines().findFirst().orElse("")
                    + "); if a daemon is running on this data dir, use POST /admin/verify on it instead", e);
        }
        return entries;
    }

    public static StorageMaintenance.IntegrityReport verify(DatabaseConfig config) throws UnavailableException {
        return new LakeIntegrity(config.dataDir(), new SimpleMeterRegistry()).verify(entries(config));
    }
}
