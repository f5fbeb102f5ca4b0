/**
 * The coarse batch operations of the ArtifactPort as a domain port: {@link io.quantbot.storage.daemon.batch.BatchEngine}
 * with plain-Java commands and results (no proto, gRPC or DuckDB types). The storage layer implements it
 * over the Python worker pool; the gRPC adapter maps requests to commands and results to responses, and
 * registers the produced artifacts in the catalog.
 */
package io.quantbot.storage.daemon.batch;
