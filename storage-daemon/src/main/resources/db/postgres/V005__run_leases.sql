-- Run ownership in cluster mode (PostgresRunLeases). A run's hot rows live in the local DuckDB of the daemon that
-- created it (owner_node) until they are sealed into a run_results artifact; this table is the cluster's record of
-- every run and its lease. lease_state: 'leased' (running), 'finished' (finished, waiting for its seal), 'sealed',
-- 'lost' (the owner stopped renewing the lease before the seal: its rows are gone). Lease times are PostgreSQL's clock,
-- so the daemons' clocks never decide.
CREATE TABLE runs (
    run_id              text COLLATE "C" PRIMARY KEY,
    sweep_id            text COLLATE "C" NOT NULL,
    scenario_id         text COLLATE "C" NOT NULL,
    idempotency_key     text COLLATE "C",
    status              text    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'lost')),
    params_json         text    NOT NULL,
    input_ids_json      text    NOT NULL,
    tags_json           text    NOT NULL,
    created_at_ms       bigint  NOT NULL,
    finished_at_ms      bigint  NOT NULL,
    summary_json        text    NOT NULL,
    error_message       text    NOT NULL,
    seal_mode           text    NOT NULL,
    result_artifact_id  text COLLATE "C",
    row_count           bigint  NOT NULL,
    committed_chunk_seq bigint  NOT NULL,
    owner_node          text    NOT NULL,
    lease_state         text    NOT NULL CHECK (lease_state IN ('leased', 'finished', 'sealed', 'lost')),
    lease_expires_at    timestamptz NOT NULL
);

-- One live run per idempotency key in the whole cluster: a lost run gives its key up, so the scenario can run again.
CREATE UNIQUE INDEX runs_live_idempotency_key ON runs (idempotency_key) WHERE lease_state <> 'lost' AND idempotency_key IS NOT NULL;
CREATE INDEX runs_by_sweep ON runs (sweep_id, run_id);
CREATE INDEX runs_by_status ON runs (status, run_id);
CREATE INDEX runs_open_leases ON runs (lease_expires_at) WHERE lease_state IN ('leased', 'finished');
CREATE INDEX runs_by_owner ON runs (owner_node) WHERE lease_state IN ('leased', 'finished');
