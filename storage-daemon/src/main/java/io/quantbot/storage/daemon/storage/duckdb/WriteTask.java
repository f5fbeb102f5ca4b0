package io.quantbot.storage.daemon.storage.duckdb;

import java.sql.SQLException;

/**
 * One unit of work for the {@link GroupCommitWriter}. Tasks run on the writer thread, several in one
 * transaction.
 *
 * <p>The rule that keeps a batch consistent: {@link #apply} first validates (and may throw a
 * {@link io.quantbot.storage.daemon.error.StorageException}, which fails this task only), and only then
 * writes. A task that has started writing must not throw a StorageException; an SQLException during
 * the write rolls the whole batch back and the writer retries every task of it alone.
 */
public interface WriteTask<T> {
    /** Validates and writes within the batch's open transaction. Runs on the writer thread. */
    T apply(WriteContext context) throws SQLException;

    /** Runs on the writer thread right after the commit, before the caller hears of it: update in-memory indexes here. */
    default void afterCommit(T result) {}

    /** Tasks that cannot run inside a transaction (CHECKPOINT) run alone, outside one. */
    default boolean transactional() {
        return true;
    }

    /** Low-cardinality name for metrics and logs, e.g. "state.set". */
    String name();
}
