package io.quantbot.storage.daemon.lifecycle;

import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the daemon should receive traffic: ready only when every condition holds (started,
 * storage open, worker pool warm, not shutting down). Conditions that are not ready carry a reason
 * shown by /readyz. Listeners (gRPC health) hear every change.
 */
@Singleton
public final class Readiness {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);

    /** Condition names; a condition that was never reported counts as not ready. */
    public static final String STARTED = "started";
    public static final String STORAGE = "storage";
    public static final String SHUTDOWN = "shutdown";

    private final Map<String, String> notReady = new LinkedHashMap<>();
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
    private boolean ready;

    public Readiness() {
        notReady.put(STARTED, "starting");
    }

    public void markReady(String condition) {
        update(condition, null);
    }

    public void markNotReady(String condition, String reason) {
        update(condition, reason);
    }

    /** A condition that must be met before the daemon is ready, e.g. "python-workers". */
    public void require(String condition, String reason) {
        update(condition, reason);
    }

    public synchronized boolean isReady() {
        return ready;
    }

    /** Why the daemon is not ready, one entry per failing condition. */
    public synchronized Map<String, String> reasons() {
        return Map.copyOf(notReady);
    }

    public void addListener(Consumer<Boolean> listener) {
        listeners.add(listener);
        listener.accept(isReady());
    }

    private void update(String condition, String reason) {
        boolean changed;
        boolean now;
        synchronized (this) {
            if (reason == null) {
                notReady.remove(condition);
            } else {
                notReady.put(condition, reason);
            }
            now = notReady.isEmpty();
            changed = now != ready;
            ready = now;
        }
        if (changed) {
            if (now) {
                log.info("Daemon is ready");
            } else {
                log.warn("Daemon is not ready: {}", reason == null ? reasons() : condition + ": " + reason);
            }
            for (Consumer<Boolean> listener : listeners) {
                listener.accept(now);
            }
        }
    }
}
