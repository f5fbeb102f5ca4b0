package io.quantbot.storage.daemon.storage.duckdb;

/**
 * How to read DuckDB's errors (duckdb_jdbc 1.5.6 reports them as SQLException messages only). Each test
 * matches a phrase DuckDB itself writes; the phrases are pinned by tests against a real DuckDB.
 */
final class DuckDbFailures {
    /** DuckDB's words when a COMMIT reached the fsynced WAL but the automatic checkpoint after it failed. */
    static final String DURABLE_COMMIT_CHECKPOINT_FAILED = "Transaction COMMIT succeeded and is durable, but the autocheckpoint failed";

    private DuckDbFailures() {}

    /**
     * The commit is durable, only the checkpoint after it failed (DuckDB then invalidates the instance).
     * Matched on the failure itself, not on a later error that quotes it as the "Original error" of an
     * instance invalidated earlier: such an error belongs to a write that never ran.
     */
    static boolean isDurableCommitWithFailedCheckpoint(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        int phrase = message.indexOf(DURABLE_COMMIT_CHECKPOINT_FAILED);
        return phrase >= 0 && !message.contains("database has been invalidated because of a previous fatal error");
    }

    /** ENOSPC or EDQUOT anywhere in the chain. */
    static boolean isDiskFull(Throwable failure) {
        return io.quantbot.storage.daemon.storage.DiskFull.isDiskFull(failure);
    }

    /** DuckDB invalidated the instance (a FATAL error); only closing and reopening it helps. */
    static boolean isInvalidated(Throwable failure) {
        return anyMessageContains(failure, "database has been invalidated") || anyMessageContains(failure, "FATAL Error");
    }

    static boolean isNoActiveTransaction(Throwable failure) {
        return anyMessageContains(failure, "no transaction is active");
    }

    /** The first line of the failure's message, for a log line or a client message without internals' noise. */
    static String firstLine(Throwable failure) {
        if (failure == null) {
            return "";
        }
        String message = String.valueOf(failure.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static boolean anyMessageContains(Throwable failure, String phrase) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (String.valueOf(current.getMessage()).contains(phrase)) {
                return true;
            }
        }
        return false;
    }
}
