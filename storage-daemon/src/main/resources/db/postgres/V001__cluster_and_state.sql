-- Cluster mode's shared metadata in PostgreSQL (storage/postgres). Keys compare bytewise (COLLATE "C"), the order
-- StatePort lists them in.

-- What every daemon of the cluster must agree on (ClusterIdentity): the warehouse.
CREATE TABLE cluster_settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- The daemons that joined, for operators.
CREATE TABLE cluster_nodes (
    node_id          text PRIMARY KEY,
    first_started_at timestamptz NOT NULL,
    last_started_at  timestamptz NOT NULL
);

-- StatePort: one row per live key (a delete removes it). Versions come from one sequence, so they only grow, across
-- every daemon, and a key deleted and set again gets a version above every earlier one.
CREATE TABLE state_entries (
    namespace     text COLLATE "C" NOT NULL,
    key           text COLLATE "C" NOT NULL,
    value_kind    smallint NOT NULL,   -- 1 = json, 2 = raw bytes
    value_json    text,
    value_raw     bytea,
    value_size    bigint   NOT NULL,   -- bytes, the unit of state.max-total-bytes
    version       bigint   NOT NULL,
    created_at_ms bigint   NOT NULL,
    updated_at_ms bigint   NOT NULL,
    expires_at_ms bigint   NOT NULL,   -- 0 = never
    PRIMARY KEY (namespace, key)
);

CREATE INDEX state_entries_expiry ON state_entries (expires_at_ms) WHERE expires_at_ms > 0;

CREATE SEQUENCE state_versions;

-- Live bytes and keys, spread over 16 rows so that concurrent writers rarely update the same one; the totals are
-- their sums (the state.max-total-bytes quota reads them).
CREATE TABLE state_usage (
    shard      smallint PRIMARY KEY,
    live_bytes bigint NOT NULL,
    keys       bigint NOT NULL
);

INSERT INTO state_usage (shard, live_bytes, keys) SELECT s, 0, 0 FROM generate_series(0, 15) AS s;
