-- The artifact catalog shared by the cluster (PostgresLakeCatalog). Ids are time-ordered ULIDs compared bytewise.
CREATE TABLE artifacts (
    artifact_id    text COLLATE "C" PRIMARY KEY,
    type           text COLLATE "C" NOT NULL,
    schema_version integer NOT NULL,
    logical_key    text COLLATE "C" NOT NULL,
    status         text    NOT NULL CHECK (status IN ('active', 'superseded', 'tombstoned')),
    path           text    NOT NULL,   -- relative to the data dir of the node that registered it
    sidecar_path   text    NOT NULL,
    file_hash      text    NOT NULL,
    content_hash   text    NOT NULL,
    row_count      bigint  NOT NULL,
    size_bytes     bigint  NOT NULL,
    min_ts_ms      bigint  NOT NULL,   -- 0 = no time column
    max_ts_ms      bigint  NOT NULL,
    created_at_ms  bigint  NOT NULL,
    superseded_by  text COLLATE "C",
    status_reason  text,
    writer         text    NOT NULL,
    writer_version text    NOT NULL,
    params_json    text    NOT NULL,
    columns_json   text    NOT NULL,
    node_id        text    NOT NULL    -- the daemon whose lake holds the file (until the Iceberg lake is shared)
);

-- Dedup is decided by these constraints (CatalogRules.dedupKeys), not by a read before the write: among active
-- artifacts of one type and logical key, one per file hash and one per content hash. Two daemons publishing the same
-- content at once both insert; one insert wins, the other finds the winner.
CREATE UNIQUE INDEX artifacts_active_file ON artifacts (type, logical_key, file_hash) WHERE status = 'active';
CREATE UNIQUE INDEX artifacts_active_content ON artifacts (type, logical_key, content_hash) WHERE status = 'active';
CREATE INDEX artifacts_logical_key ON artifacts (type, logical_key);
CREATE INDEX artifacts_type_id ON artifacts (type, artifact_id);
CREATE INDEX artifacts_path ON artifacts (path);

CREATE TABLE artifact_tags (
    artifact_id text COLLATE "C" NOT NULL REFERENCES artifacts (artifact_id),
    tag_key     text NOT NULL,
    tag_value   text NOT NULL,
    PRIMARY KEY (artifact_id, tag_key)
);

CREATE INDEX artifact_tags_value ON artifact_tags (tag_key, tag_value, artifact_id);

CREATE TABLE artifact_lineage (
    output_id text COLLATE "C" NOT NULL REFERENCES artifacts (artifact_id),
    position  integer NOT NULL,        -- the order of the output's input ids
    input_id  text COLLATE "C" NOT NULL REFERENCES artifacts (artifact_id),
    PRIMARY KEY (output_id, position)
);

CREATE INDEX artifact_lineage_input ON artifact_lineage (input_id);

CREATE TABLE artifact_supersedes (
    old_id text NOT NULL,
    new_id text,                       -- NULL = tombstoned
    reason text NOT NULL,
    at_ms  bigint NOT NULL
);
