package io.quantbot.storage.daemon.storage.pyworker;

import io.quantbot.storage.daemon.batch.BatchCallOptions;
import io.quantbot.storage.daemon.lifecycle.Managed;
import io.quantbot.storage.worker.v1.Request;
import io.quantbot.storage.worker.v1.Result;
import java.util.concurrent.CompletableFuture;

/**
 * The warm pool of Python DuckDB workers (the decision record's PythonEngine). Only the storage layer
 * may use it; the coarse operations reach it through {@link io.quantbot.storage.daemon.batch.BatchEngine}.
 *
 * <p>{@link #start()} launches the workers and returns; readiness condition {@code python-workers}
 * turns ready once every worker answered Ready. {@link #stop()} fails queued calls, cancels running
 * ones, closes the workers' input (they exit 0) and kills what is left after the cancel grace.
 */
public interface PythonWorkerPool extends Managed {
    /**
     * Runs one request on the next free worker. The pool sets the request's id and its timeout (the
     * caller's remaining deadline, or python-worker.default-timeout). Never throws: the future fails
     * with a {@link io.quantbot.storage.daemon.error.StorageException} — the worker's own error
     * mapped to an error code (INVALID_SQL, INVALID_INPUT_DATA with field violations, PATH_NOT_ALLOWED,
     * ...), QUEUE_FULL with a retry hint, DEADLINE_EXCEEDED, CANCELLED, WORKER_UNAVAILABLE (disabled, not
     * started, or the worker died during the call), SHUTTING_DOWN, or WORKER_FAILED. Cancelling the
     * returned future cancels the request like a client cancel does.
     */
    CompletableFuture<Result> submit(Request request, BatchCallOptions options);
}
