package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quantbot.storage.client.NotFoundException;
import io.quantbot.storage.client.StateClient;
import io.quantbot.storage.client.StorageException;
import io.quantbot.storage.client.UnavailableException;
import io.quantbot.storage.client.Values;
import io.quantbot.storage.client.VersionConflictException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attempt fence of a distributed sweep: before an attempt writes a scenario's run it takes the scenario's lease,
 * a StatePort key ({@value #NAMESPACE}, {@code <sweep_id>/<scenario_id>}, the same key as the run's idempotency key
 * and its checkpoint) created with compare-and-set "must not exist" and a TTL, renewed while the attempt works. So two
 * attempts of one task (a retry racing a straggler, a speculative copy) never write one run at the same time: the
 * second waits until the first recorded the checkpoint (then it only verifies it) or until the lease lapsed because
 * its owner died (then it takes the lease and resumes the run from its committed chunk sequence).
 *
 * <p>The lease is the first line; the run model is the second: CreateRun's idempotency key gives every attempt the
 * same run, a re-sent chunk at or below the committed sequence is a no-op, and FinishRun of a finished run changes
 * nothing. An owner that stalls past the TTL (its renewal fails and it is told so) can therefore at worst send chunks
 * the daemon ignores.
 */
public final class ScenarioLeases implements AutoCloseable {
    public static final String NAMESPACE = "sweep_leases";
    private static final Logger log = LoggerFactory.getLogger(ScenarioLeases.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_WAIT_STEP_MILLIS = 500;

    private final StateClient state;
    private final SweepCheckpoints checkpoints;
    private final String owner;
    private final Duration ttl;
    private final ScheduledExecutorService renewals;

    /** What {@link #claim} found. */
    public sealed interface Claim extends AutoCloseable permits Owned, Finished {
        /** Releases the lease (an owned claim); never throws. */
        @Override
        void close();
    }

    /** Another attempt (or an earlier invocation) completed the scenario: its checkpoint. */
    public record Finished(SweepCheckpoints.Checkpoint checkpoint) implements Claim {
        @Override
        public void close() {}
    }

    /** This attempt holds the lease until {@link #close}. */
    public final class Owned implements Claim {
        private final String key;
        private final AtomicLong version;
        private final AtomicBoolean lost = new AtomicBoolean();
        private final ScheduledFuture<?> renewal;

        private Owned(String key, long version) {
            this.key = key;
            this.version = new AtomicLong(version);
            long every = Math.max(50, ttl.toMillis() / 3);
            this.renewal = renewals.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        }

        /** The lease lapsed or was taken while this attempt held it (a renewal found another version). */
        public boolean lost() {
            return lost.get();
        }

        private synchronized void renew() {
            if (lost.get()) {
                return;
            }
            try {
                version.set(state.compareAndSet(NAMESPACE, key, value(), version.get(), ttl));
            }
            catch (VersionConflictException e) {
                lost.set(true);
                log.warn("lease {} of {} was lost (another attempt holds it now)", key, owner);
            }
            catch (StorageException e) {
                log.debug("renewing lease {} failed; retrying", key, e);
            }
        }

        @Override
        public synchronized void close() {
            renewal.cancel(false);
            if (lost.get()) {
                return;
            }
            try {
                state.delete(NAMESPACE, key, version.get());
            }
            catch (VersionConflictException | NotFoundException e) {
                log.debug("lease {} was gone at release", key);
            }
            catch (UnavailableException e) {
                log.debug("lease {} left to expire: the daemon is unreachable", key);
            }
        }
    }

    /**
     * @param owner names the attempt in the lease's value (for people reading StatePort), e.g. {@code stage 3 task 7.1}
     * @param ttl how long a lease outlives an attempt that died holding it
     */
    public ScenarioLeases(StateClient state, String owner, Duration ttl) {
        this.state = requireNonNull(state, "state is null");
        this.checkpoints = new SweepCheckpoints(state);
        this.owner = requireNonNull(owner, "owner is null");
        this.ttl = requireNonNull(ttl, "ttl is null");
        if (ttl.toMillis() < 300) {
            throw new IllegalArgumentException("ttl must be at least 300 ms");
        }
        this.renewals = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sweep-lease-renewal");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Takes the scenario's lease if nobody holds it: {@link Finished} when the scenario has a checkpoint, {@link Owned}
     * when this attempt now holds the lease, empty while another live attempt holds it (ask again later: it either
     * records the checkpoint or its lease lapses).
     */
    public Optional<Claim> tryClaim(String sweepId, String scenarioId) {
        Optional<SweepCheckpoints.Checkpoint> done = checkpoints.get(sweepId, scenarioId);
        if (done.isPresent()) {
            return Optional.of(new Finished(done.get()));
        }
        String key = SweepCheckpoints.key(sweepId, scenarioId);
        try {
            return Optional.of(new Owned(key, state.compareAndSet(NAMESPACE, key, value(), 0, ttl)));
        }
        catch (VersionConflictException held) {
            // Held by another attempt; it may also have finished between the two calls: then its checkpoint is there.
            return checkpoints.get(sweepId, scenarioId).map(Finished::new);
        }
    }

    /** How long to wait before asking again for leases other attempts hold: a tenth of the TTL, 20 ms to 500 ms. */
    public Duration retryDelay() {
        return Duration.ofMillis(Math.max(20, Math.min(MAX_WAIT_STEP_MILLIS, ttl.toMillis() / 10)));
    }

    private io.quantbot.storage.v1.Value value() {
        return Values.json(JSON.createObjectNode().put("owner", owner).put("ttl_ms", ttl.toMillis()).toString());
    }

    @Override
    public void close() {
        renewals.shutdownNow();
    }
}
