package io.quantbot.storage.daemon.storage.duckdb;

/** Another process holds the database file: only one daemon may own a data dir. */
public final class DatabaseLockedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatabaseLockedException(String message, Throwable cause) {
        super(message, cause);
    }
}
