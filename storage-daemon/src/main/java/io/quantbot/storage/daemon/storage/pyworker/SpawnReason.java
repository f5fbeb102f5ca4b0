package io.quantbot.storage.daemon.storage.pyworker;

import java.util.Locale;

/** Why a worker process was started: the {@code reason} tag of quantbot_python_worker_spawns_total. */
enum SpawnReason {
    /** One of the pool's workers, started with the pool. */
    START,
    /** Replaces a worker that crashed, broke framing, failed to start or was killed for not answering. */
    REPLACE,
    /** Replaces a healthy worker retired after max-requests or max-rss. */
    RECYCLE;

    String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
