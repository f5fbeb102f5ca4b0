package io.quantbot.storage.daemon.batch;

/** How query rows come back: a JSON array of objects, or an Arrow IPC stream. */
public enum QueryFormat {
    JSON,
    ARROW;
}
