-- The artifact catalog ("Parquet is the truth, the database is a projection") and the run ledger.
-- The daemon serves catalog reads from an in-memory index rebuilt from these tables at start.

CREATE TABLE artifacts (
    artifact_id    VARCHAR PRIMARY KEY,
    type           VARCHAR NOT NULL,
    schema_version INTEGER NOT NULL,
    logical_key    VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,   -- active | superseded | tombstoned
    path           VARCHAR NOT NULL,   -- relative to the data dir
    sidecar_path   VARCHAR NOT NULL,
    file_hash      VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,
    row_count      BIGINT  NOT NULL,
    size_bytes     BIGINT  NOT NULL,
    min_ts_ms      BIGINT  NOT NULL,   -- 0 = no time column
    max_ts_ms      BIGINT  NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    superseded_by  VARCHAR,
    status_reason  VARCHAR,
    writer         VARCHAR NOT NULL,
    writer_version VARCHAR NOT NULL,
    params_json    VARCHAR NOT NULL,
    columns_json   VARCHAR NOT NULL
);

CREATE TABLE artifact_tags (
    artifact_id VARCHAR NOT NULL,
    tag_key     VARCHAR NOT NULL,
    tag_value   VARCHAR NOT NULL
);

CREATE TABLE artifact_lineage (
    input_id  VARCHAR NOT NULL,
    output_id VARCHAR NOT NULL
);

CREATE TABLE artifact_supersedes (
    old_id VARCHAR NOT NULL,
    new_id VARCHAR,                    -- NULL = tombstoned
    reason VARCHAR NOT NULL,
    at_ms  BIGINT  NOT NULL
);

CREATE TABLE runs (
    run_id             VARCHAR PRIMARY KEY,
    sweep_id           VARCHAR NOT NULL,
    scenario_id        VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,  -- running | succeeded | failed | cancelled
    params_json        VARCHAR NOT NULL,
    input_ids_json     VARCHAR NOT NULL,
    tags_json          VARCHAR NOT NULL,
    idempotency_key    VARCHAR,
    created_at_ms      BIGINT  NOT NULL,
    finished_at_ms     BIGINT  NOT NULL,  -- 0 while running
    summary_json       VARCHAR NOT NULL,
    error_message      VARCHAR NOT NULL,
    seal_mode          VARCHAR NOT NULL,  -- run | defer | sweep (set by FinishRun)
    result_artifact_id VARCHAR,
    row_count          BIGINT  NOT NULL,  -- as of FinishRun
    committed_chunk_seq BIGINT NOT NULL
);

-- Hot result rows of runs not sealed yet; sealing moves them into a run_results Parquet artifact.
CREATE TABLE run_rows (
    run_id       VARCHAR NOT NULL,
    chunk_seq    BIGINT  NOT NULL,
    sweep_id     VARCHAR,
    scenario_id  VARCHAR,
    interval     VARCHAR,
    lag_ms       BIGINT,
    overlay_set  VARCHAR,
    call_id      VARCHAR,
    caller       VARCHAR,
    token        VARCHAR,
    chain        VARCHAR,
    call_ts      BIGINT,
    entry_ts     BIGINT,
    entry_px     DOUBLE,
    exit_ts      BIGINT,
    exit_px      DOUBLE,
    exit_reason  VARCHAR,
    gross_return DOUBLE,
    net_return   DOUBLE,
    fees         DOUBLE,
    slippage     DOUBLE,
    candles_used BIGINT,
    tradeable    BOOLEAN,
    skip_reason  VARCHAR
);
