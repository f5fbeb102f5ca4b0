-- The Iceberg lake's outbox (issue 13 item 3): which catalog rows the lake holds. Set after the PostgreSQL COMMIT by the
-- daemon that registered the artifact, or by any daemon's reconciler after a crash in between.
--   lake_snapshot_id          the Iceberg snapshot that appended the artifact's file (-1: the artifact cannot be in a table,
--                             e.g. a partition tag is missing; NULL: pending when active, parquet and of a type with a table)
--   lake_retired_snapshot_id  the snapshot that removed it after a supersede or tombstone (NULL with a lake_snapshot_id
--                             and a status other than active: retirement pending)
ALTER TABLE artifacts ADD COLUMN lake_snapshot_id BIGINT;
ALTER TABLE artifacts ADD COLUMN lake_retired_snapshot_id BIGINT;
CREATE INDEX artifacts_lake_pending ON artifacts (artifact_id) WHERE lake_snapshot_id IS NULL AND status = 'active';
CREATE INDEX artifacts_lake_retire_pending ON artifacts (artifact_id)
    WHERE lake_snapshot_id IS NOT NULL AND lake_retired_snapshot_id IS NULL AND status <> 'active';
