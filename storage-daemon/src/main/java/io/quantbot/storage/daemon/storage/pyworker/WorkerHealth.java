package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.worker.v1.Pong;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Health of idle workers, once per python-worker.ping-interval: a worker the operating system reports
 * stopped is replaced at once; one that has not answered the previous ping is replaced; the others get
 * a new ping. Pongs clear the ping and report memory for max-rss recycling. Not thread-safe: the pool
 * calls it under its monitor.
 */
final class WorkerHealth {
    private final long maxRss;
    private long nonces;

    /** What one round found; pings are sent outside the pool's monitor. */
    record Round(List<PooledWorker> stopped, List<PooledWorker> silent, Map<PooledWorker, Long> pings) {}

    WorkerHealth(long maxRss) {
        this.maxRss = maxRss;
    }

    Round round(Collection<PooledWorker> workers) {
        List<PooledWorker> stopped = new ArrayList<>();
        List<PooledWorker> silent = new ArrayList<>();
        Map<PooledWorker, Long> pings = new LinkedHashMap<>();
        for (PooledWorker worker : workers) {
            if (!worker.is(PooledWorker.State.IDLE)) {
                continue;
            }
            if (worker.process.runState() == WorkerIo.RunState.STOPPED) {
                // No need to wait a ping interval for an answer that cannot come.
                stopped.add(worker);
            } else if (worker.pingNonce != 0) {
                silent.add(worker);
            } else {
                worker.pingNonce = ++nonces;
                pings.put(worker, worker.pingNonce);
            }
        }
        return new Round(stopped, silent, pings);
    }

    /** Clears the ping the pong answers; returns true when the worker is over max-rss (and should be recycled). */
    boolean answered(PooledWorker worker, Pong pong) {
        if (pong.getNonce() == worker.pingNonce) {
            worker.pingNonce = 0;
        }
        return maxRss > 0 && pong.getRssBytes() > maxRss;
    }
}
