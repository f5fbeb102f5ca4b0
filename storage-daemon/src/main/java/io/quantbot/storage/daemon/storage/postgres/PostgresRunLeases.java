package io.quantbot.storage.daemon.storage.postgres;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.run.RunLeases;
import io.quantbot.storage.daemon.run.RunRecord;
import io.quantbot.storage.daemon.run.RunStatus;
import io.quantbot.storage.daemon.run.SealMode;
import io.quantbot.storage.daemon.storage.JsonColumns;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run ownership on the cluster's PostgreSQL (table {@code runs}, migration V005). Every lease time is PostgreSQL's
 * {@code clock_timestamp()}, so no daemon's clock decides who owns a run. The seal fence ({@link #sealIn}) runs inside
 * the catalog's registration transaction: it locks the runs' rows, checks this daemon still owns each, and marks them
 * sealed, so a run is either sealed by its owner or declared lost, never both.
 */
@Singleton
public final class PostgresRunLeases implements RunLeases {
    private static final Logger log = LoggerFactory.getLogger(PostgresRunLeases.class);
    private static final String JSON_HOME = "the cluster's runs table";
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
    private static final TypeReference<Map<String, Double>> DOUBLE_MAP = new TypeReference<>() {};
    private static final String COLUMNS = "run_id, sweep_id, scenario_id, status, params_json, input_ids_json, tags_json, idempotency_key,"
            + " created_at_ms, finished_at_ms, summary_json, error_message, seal_mode, result_artifact_id, row_count, committed_chunk_seq,"
            + " owner_node, lease_state,"
            + " GREATEST(0, (EXTRACT(EPOCH FROM (lease_expires_at - clock_timestamp())) * 1000)::bigint) AS remaining_ms";
    private static final String LEASE_UNTIL = "clock_timestamp() + make_interval(secs => ?)";
    private static final String INSERT = "INSERT INTO runs (run_id, sweep_id, scenario_id, idempotency_key, status, params_json, input_ids_json,"
            + " tags_json, created_at_ms, finished_at_ms, summary_json, error_message, seal_mode, result_artifact_id, row_count,"
            + " committed_chunk_seq, owner_node, lease_state, lease_expires_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + LEASE_UNTIL + ") ON CONFLICT DO NOTHING";

    private final PostgresDatabase database;
    private final String nodeId;
    private final double leaseSeconds;
    private final Counter renewals;
    private final Counter renewalFailures;
    private final Counter declaredLost;
    private final Counter fenced;

    @Inject
    public PostgresRunLeases(PostgresDatabase database, ClusterConfig config, MeterRegistry registry) {
        this.database = requireNonNull(database, "database is null");
        this.nodeId = config.nodeId();
        this.leaseSeconds = config.runLease().toMillis() / 1000.0;
        this.renewals = Counter.builder("quantbot.run_leases.renewals")
                .description("Renewals of this daemon's run leases (one statement renews every run it owns)").register(registry);
        this.renewalFailures = Counter.builder("quantbot.run_leases.renewal_failures")
                .description("Renewals of this daemon's run leases that failed (PostgreSQL unreachable); past cluster.run-lease its runs are lost")
                .register(registry);
        this.declaredLost = Counter.builder("quantbot.runs.lost")
                .description("Runs this daemon declared lost: their owner's lease expired before the seal (the scenario runs again)")
                .register(registry);
        this.fenced = Counter.builder("quantbot.runs.seal_fenced")
                .description("Seals refused because this daemon no longer owned a run in them (declared lost meanwhile)").register(registry);
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public Optional<Leased> find(String runId) {
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM runs WHERE run_id = ?")) {
                select.setString(1, runId);
                return one(select);
            }
        });
    }

    @Override
    public Optional<Leased> findLive(String idempotencyKey) {
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM runs WHERE idempotency_key = ? AND lease_state <> 'lost'")) {
                select.setString(1, idempotencyKey);
                return one(select);
            }
        });
    }

    @Override
    public Leased register(RunRecord run) {
        return database.transaction("runs.register", connection -> {
            try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
                bind(insert, run, nodeId, LeaseState.LEASED, leaseSeconds);
                if (insert.executeUpdate() == 1) {
                    return new Leased(run, nodeId, LeaseState.LEASED, (long) (leaseSeconds * 1000));
                }
            }
            String key = run.idempotencyKey().orElseThrow(() -> new IllegalStateException("run id " + run.runId() + " is taken"));
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM runs WHERE idempotency_key = ? AND lease_state <> 'lost'")) {
                select.setString(1, key);
                // The winner committed before our insert gave up, so this read (a new statement in READ COMMITTED) sees it.
                return one(select).orElseThrow(() -> new SQLException("idempotency key conflict without a live run; retrying", "40001"));
            }
        });
    }

    /**
     * Records a run that finished and was sealed outside the cluster ({@code migrate} copying an embedded data dir), in
     * the caller's transaction: SEALED, owned by {@code ownerNode} (no daemon renews it; sealed runs need no lease), so
     * GetRun and ListRuns answer it on every daemon and CreateRun with its idempotency key returns it instead of running
     * the scenario again. False when the run id, or a live run with its idempotency key, is in the cluster already.
     */
    public static boolean recordSealed(Connection connection, RunRecord run, String ownerNode) throws SQLException {
        if (!run.status().isTerminal()) {
            throw new IllegalArgumentException("run " + run.runId() + " is " + run.status() + ", not finished: only finished runs are recorded sealed");
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            bind(insert, run, ownerNode, LeaseState.SEALED, 0);
            return insert.executeUpdate() == 1;
        }
    }

    private static void bind(PreparedStatement insert, RunRecord run, String ownerNode, LeaseState state, double leaseSeconds) throws SQLException {
        int i = 1;
        insert.setString(i++, run.runId());
        insert.setString(i++, run.sweepId());
        insert.setString(i++, run.scenarioId());
        insert.setString(i++, run.idempotencyKey().orElse(null));
        insert.setString(i++, run.status().dbValue());
        insert.setString(i++, run.paramsJson());
        insert.setString(i++, JsonColumns.write(run.inputIds()));
        insert.setString(i++, JsonColumns.write(run.tags()));
        insert.setLong(i++, run.createdAtMs());
        insert.setLong(i++, run.finishedAtMs());
        insert.setString(i++, JsonColumns.write(run.summary()));
        insert.setString(i++, run.errorMessage());
        insert.setString(i++, run.sealMode().dbValue());
        insert.setString(i++, run.resultArtifactId().orElse(null));
        insert.setLong(i++, run.rowCount());
        insert.setLong(i++, run.committedChunkSeq());
        insert.setString(i++, ownerNode);
        insert.setString(i++, state.name().toLowerCase(java.util.Locale.ROOT));
        insert.setDouble(i, leaseSeconds);
    }

    @Override
    public Optional<Leased> reapIfExpired(String runId) {
        return database.transaction("runs.reap_one", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET lease_state = 'lost', status = 'lost',"
                    + " error_message = 'lost: its owner ' || owner_node || ' stopped renewing its lease before the run was sealed; its rows are gone'"
                    + " WHERE run_id = ? AND lease_state IN ('leased', 'finished') AND lease_expires_at < clock_timestamp() RETURNING owner_node")) {
                update.setString(1, runId);
                try (ResultSet rows = update.executeQuery()) {
                    while (rows.next()) {
                        declaredLost.increment();
                        log.warn("Run {} declared lost: its owner {} stopped renewing its lease", runId, rows.getString(1));
                    }
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM runs WHERE run_id = ?")) {
                select.setString(1, runId);
                return one(select);
            }
        });
    }

    @Override
    public int reapExpired() {
        return database.transaction("runs.reap", connection -> {
            int count = 0;
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET lease_state = 'lost', status = 'lost',"
                    + " error_message = 'lost: its owner ' || owner_node || ' stopped renewing its lease before the run was sealed; its rows are gone'"
                    + " WHERE run_id IN (SELECT run_id FROM runs WHERE lease_state IN ('leased', 'finished') AND lease_expires_at < clock_timestamp()"
                    + " LIMIT 1000 FOR UPDATE SKIP LOCKED) RETURNING run_id, owner_node")) {
                try (ResultSet rows = update.executeQuery()) {
                    while (rows.next()) {
                        count++;
                        log.warn("Run {} declared lost: its owner {} stopped renewing its lease", rows.getString(1), rows.getString(2));
                    }
                }
            }
            declaredLost.increment(count);
            return count;
        });
    }

    @Override
    public Optional<Leased> finish(RunRecord finished) {
        return database.transaction("runs.finish", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET status = ?, finished_at_ms = ?, summary_json = ?,"
                    + " error_message = ?, seal_mode = ?, row_count = ?, committed_chunk_seq = ?, lease_state = 'finished',"
                    + " lease_expires_at = " + LEASE_UNTIL + " WHERE run_id = ? AND owner_node = ? AND lease_state = 'leased'"
                    + " RETURNING " + COLUMNS)) {
                int i = 1;
                update.setString(i++, finished.status().dbValue());
                update.setLong(i++, finished.finishedAtMs());
                update.setString(i++, JsonColumns.write(finished.summary()));
                update.setString(i++, finished.errorMessage());
                update.setString(i++, finished.sealMode().dbValue());
                update.setLong(i++, finished.rowCount());
                update.setLong(i++, finished.committedChunkSeq());
                update.setDouble(i++, leaseSeconds);
                update.setString(i++, finished.runId());
                update.setString(i, nodeId);
                Optional<Leased> fenced = one(update);
                if (fenced.isPresent()) {
                    return fenced;
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM runs WHERE run_id = ?")) {
                select.setString(1, finished.runId());
                // A finish again of a run this daemon already finished (or sealed) is fine; a lost or foreign run is not.
                return one(select).filter(run -> run.ownedBy(nodeId) && run.state() != LeaseState.LOST);
            }
        });
    }

    @Override
    public void update(RunRecord run) {
        database.transaction("runs.update", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET result_artifact_id = COALESCE(?, result_artifact_id),"
                    + " row_count = ?, committed_chunk_seq = ?, finished_at_ms = CASE WHEN ? > 0 THEN ? ELSE finished_at_ms END"
                    + " WHERE run_id = ? AND owner_node = ? AND lease_state <> 'lost'")) {
                update.setString(1, run.resultArtifactId().orElse(null));
                update.setLong(2, run.rowCount());
                update.setLong(3, run.committedChunkSeq());
                update.setLong(4, run.finishedAtMs());
                update.setLong(5, run.finishedAtMs());
                update.setString(6, run.runId());
                update.setString(7, nodeId);
                update.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Map<String, LeaseState> renew(Collection<String> runIds) {
        if (runIds.isEmpty()) {
            return Map.of();
        }
        try {
            Map<String, LeaseState> states = database.transaction("runs.renew", connection -> {
                Array ids = connection.createArrayOf("text", runIds.toArray());
                try (PreparedStatement update = connection.prepareStatement("UPDATE runs SET lease_expires_at = " + LEASE_UNTIL
                        + " WHERE run_id = ANY(?) AND owner_node = ? AND lease_state IN ('leased', 'finished')")) {
                    update.setDouble(1, leaseSeconds);
                    update.setArray(2, ids);
                    update.setString(3, nodeId);
                    update.executeUpdate();
                }
                Map<String, LeaseState> found = new HashMap<>();
                try (PreparedStatement select = connection.prepareStatement("SELECT run_id, owner_node, lease_state FROM runs WHERE run_id = ANY(?)")) {
                    select.setArray(1, ids);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            LeaseState state = LeaseState.valueOf(rows.getString(3).toUpperCase(java.util.Locale.ROOT));
                            found.put(rows.getString(1), rows.getString(2).equals(nodeId) ? state : LeaseState.LOST);
                        }
                    }
                }
                return found;
            });
            renewals.increment();
            return states;
        } catch (RuntimeException e) {
            renewalFailures.increment();
            throw e;
        }
    }

    @Override
    public List<Leased> list(Optional<String> sweepId, Optional<RunStatus> status, String afterRunId, int limit) {
        return database.read(connection -> {
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM runs WHERE run_id > ?");
            sweepId.ifPresent(ignored -> sql.append(" AND sweep_id = ?"));
            status.ifPresent(ignored -> sql.append(" AND status = ?"));
            sql.append(" ORDER BY run_id LIMIT ?");
            try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
                int i = 1;
                select.setString(i++, afterRunId);
                if (sweepId.isPresent()) {
                    select.setString(i++, sweepId.get());
                }
                if (status.isPresent()) {
                    select.setString(i++, status.get().dbValue());
                }
                select.setInt(i, limit);
                List<Leased> runs = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        runs.add(leased(rows));
                    }
                }
                return runs;
            }
        });
    }

    /**
     * The seal fence, inside the catalog transaction that registers a run_results artifact: locks the runs' rows (a
     * concurrent reap waits, then finds them sealed), refuses unless this daemon owns every one and none is lost, and
     * marks them sealed by the artifact. So a seal and a loss of the same run never both happen.
     */
    void sealIn(Connection connection, List<String> runIds, String artifactId) throws SQLException {
        if (runIds.isEmpty()) {
            return;
        }
        Array ids = connection.createArrayOf("text", runIds.toArray());
        Map<String, String[]> found = new HashMap<>();
        try (PreparedStatement lock = connection.prepareStatement("SELECT run_id, owner_node, lease_state FROM runs WHERE run_id = ANY(?) FOR UPDATE")) {
            lock.setArray(1, ids);
            try (ResultSet rows = lock.executeQuery()) {
                while (rows.next()) {
                    found.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3)});
                }
            }
        }
        for (String runId : runIds) {
            String[] row = found.get(runId);
            if (row == null || !row[0].equals(nodeId) || row[1].equals("lost")) {
                fenced.increment();
                String why = row == null ? "is not recorded in the cluster" : !row[0].equals(nodeId) ? "is owned by " + row[0] : "was declared lost";
                throw StorageException.builder(ErrorCode.RUN_LOST, "run " + runId + " " + why + ", so this daemon (" + nodeId
                                + ") does not seal it; create the run again (same idempotency key) to run its scenario again")
                        .metadata("run_id", runId).metadata("owner_node", row == null ? "" : row[0]).build();
            }
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE runs SET lease_state = 'sealed', result_artifact_id = ? WHERE run_id = ANY(?)")) {
            update.setString(1, artifactId);
            update.setArray(2, ids);
            update.executeUpdate();
        }
    }

    private Optional<Leased> one(PreparedStatement select) throws SQLException {
        try (ResultSet rows = select.executeQuery()) {
            return rows.next() ? Optional.of(leased(rows)) : Optional.empty();
        }
    }

    private static Leased leased(ResultSet rows) throws SQLException {
        RunRecord record = new RunRecord(rows.getString(1), rows.getString(2), rows.getString(3), RunStatus.fromDbValue(rows.getString(4)),
                rows.getString(5), JsonColumns.read(rows.getString(6), STRINGS, JSON_HOME), JsonColumns.read(rows.getString(7), STRING_MAP, JSON_HOME), Optional.ofNullable(rows.getString(8)),
                rows.getLong(9), rows.getLong(10), JsonColumns.read(rows.getString(11), DOUBLE_MAP, JSON_HOME), rows.getString(12), SealMode.fromDbValue(rows.getString(13)),
                Optional.ofNullable(rows.getString(14)), rows.getLong(15), rows.getLong(16));
        return new Leased(record, rows.getString(17), LeaseState.valueOf(rows.getString(18).toUpperCase(java.util.Locale.ROOT)), rows.getLong(19));
    }


}
