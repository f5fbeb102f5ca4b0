-- StatePort persistence: an append-only log of state writes. The daemon serves reads from an
-- in-memory index rebuilt from the newest row of every key at start; appending (DuckDB Appender,
-- group commit) is much cheaper than upserting into a keyed table. Superseded rows, tombstones and
-- expired keys are removed by the periodic compaction.
CREATE TABLE state_log (
    version       BIGINT  NOT NULL,  -- store-wide revision assigned to this write
    namespace     VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,
    op            TINYINT NOT NULL,  -- 1 = put, 2 = delete (tombstone)
    value_kind    TINYINT,           -- 1 = json, 2 = raw bytes
    value_json    VARCHAR,
    value_raw     BLOB,
    created_at_ms BIGINT  NOT NULL,
    updated_at_ms BIGINT  NOT NULL,
    expires_at_ms BIGINT  NOT NULL   -- 0 = never
);

-- For operators and ad-hoc inspection: the live state as StatePort sees it.
CREATE VIEW state AS
SELECT namespace, key, version,
       CASE value_kind WHEN 1 THEN 'json' ELSE 'raw' END AS value_kind,
       value_json, value_raw, created_at_ms, updated_at_ms, expires_at_ms
FROM (
    SELECT *, row_number() OVER (PARTITION BY namespace, key ORDER BY version DESC) AS newest
    FROM state_log
) AS latest
WHERE newest = 1
  AND op = 1
  AND (expires_at_ms = 0 OR expires_at_ms > epoch_ms(now()::TIMESTAMP));
