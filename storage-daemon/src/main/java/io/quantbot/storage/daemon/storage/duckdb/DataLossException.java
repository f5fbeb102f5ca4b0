package io.quantbot.storage.daemon.storage.duckdb;

/**
 * The database lost acknowledged commits (its write-ahead log is shorter than the commit marker says)
 * and duckdb.accept-data-loss is not set: the daemon refuses to start rather than serve without them.
 */
public final class DataLossException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataLossException(String message) {
        super(message);
    }
}
