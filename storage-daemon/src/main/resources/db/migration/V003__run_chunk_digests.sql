-- What each committed chunk of a run stored (its row count and RowBatch.digest), so that a chunk re-sent under a
-- sequence number already committed is compared with it: the same rows are a retry (nothing changes), different
-- rows are refused with CHUNK_CONFLICT instead of being dropped silently. Chunks committed before this migration
-- have no row here and are taken as retries, as before.
CREATE TABLE run_chunks (
    run_id    VARCHAR NOT NULL,
    chunk_seq BIGINT  NOT NULL,
    row_count BIGINT  NOT NULL,
    digest    BIGINT  NOT NULL
);
