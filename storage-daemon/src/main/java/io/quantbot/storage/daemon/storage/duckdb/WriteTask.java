package io.quantbot.storage.daemon.storage.duckdb;

import java.sql.SQLException;

/**
 * One unit of work for the {@link GroupCommitWriter}. Tasks run on the writer thread, several in one
 * transaction.
 *
 * <p>Each task is all-or-nothing within its batch. {@link #apply} should validate first (a
 * {@link io.quantbot.storage.daemon.error.StorageException} thrown before the task touched the
 * connection or an appender fails this task only, at no cost to the batch). A StorageException after
 * the task started writing rolls the batch back and the writer runs it again without this task (DuckDB
 * has no savepoints), so apply may run more than once and must not keep effects outside the database
 * between runs except through {@link WriteContext#batchLocal}. An SQLException rolls the whole batch
 * back and the writer retries every task of it alone.
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

    /**
     * Whether the task may write. Tasks that only read (e.g. a state Get through the writer for a
     * consistent view) still run while writes are refused because the disk is full.
     */
    default boolean writes() {
        return true;
    }

    /** Low-cardinality name for metrics and logs, e.g. "state.set". */
    String name();
}
