package io.quantbot.storage.daemon.run;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cluster mode's record of every run and of which daemon owns it. A run's hot rows live in the local DuckDB of the
 * daemon that created it until they are sealed; that daemon holds a lease on the run, renewed while it runs, with an
 * expiry on a clock every daemon shares. A run whose owner stops renewing before the seal is declared lost: its rows
 * are gone, its idempotency key is free again and the scenario is run again from scratch.
 */
public interface RunLeases {
    /** This daemon's name in the cluster. */
    String nodeId();

    /** Where a run stands in the cluster. */
    enum LeaseState {
        /** Running; rows are being appended on the owner. */
        LEASED,
        /** Finished on the owner, its rows waiting there for their seal. */
        FINISHED,
        /** Sealed into a run_results artifact: in the shared catalog, independent of any daemon. */
        SEALED,
        /** The owner stopped renewing the lease before the seal. */
        LOST
    }

    /** A run as the cluster records it: the record its owner last wrote, the owner, the lease and its time left. */
    record Leased(RunRecord record, String ownerNode, LeaseState state, long leaseRemainingMs) {
        public boolean ownedBy(String node) {
            return ownerNode.equals(node);
        }
    }

    Optional<Leased> find(String runId);

    /** The run holding the idempotency key (the lost ones gave theirs up), if any. */
    Optional<Leased> findLive(String idempotencyKey);

    /**
     * Records a run this daemon just created, leased to it. When another live run already holds the idempotency key
     * (another daemon created it at the same moment), records nothing and returns that run: the unique key decides.
     */
    Leased register(RunRecord run);

    /** Declares the run lost if its lease expired; the run as it stands afterwards. */
    Optional<Leased> reapIfExpired(String runId);

    /** Declares every run whose lease expired lost (any daemon may do it for all); how many it declared. */
    int reapExpired();

    /**
     * The fence of a finish: records the finished run (status, summary, rows) and moves it from LEASED to FINISHED,
     * only while this daemon still owns it, and answers the run as the cluster then records it (with the idempotency key,
     * which only the cluster holds). Empty when this daemon does not own it (the run was declared lost).
     */
    Optional<Leased> finish(RunRecord finished);

    /** Records what the owner knows after a seal (the artifact, the final counts, its finish time); the lease state is left alone. */
    void update(RunRecord run);

    /** Renews the leases of the given unsealed runs this daemon owns; answers the state of each (absent = unknown). */
    Map<String, LeaseState> renew(Collection<String> runIds);

    /** Runs (of a sweep, with a status) after a run id, in run id order, as the cluster records them. */
    List<Leased> list(Optional<String> sweepId, Optional<RunStatus> status, String afterRunId, int limit);
}
