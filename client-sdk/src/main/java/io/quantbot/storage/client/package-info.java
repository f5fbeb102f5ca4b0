/**
 * The Java client of quantbot-storage: {@link io.quantbot.storage.client.QuantbotStorageClient}
 * and its typed {@link io.quantbot.storage.client.StateClient} and
 * {@link io.quantbot.storage.client.ArtifactClient}.
 *
 * <p>Conventions, the same everywhere in this package:
 * <ul>
 *   <li>Requests and results are the generated {@code io.quantbot.storage.v1} messages (the API
 *       contract); writes that only produce a version return it as a {@code long}, deletes a
 *       {@code boolean}.</li>
 *   <li>Lookups by id or key ({@code get}, {@code getArtifact}, {@code getRun}) return
 *       {@link java.util.Optional}: NOT_FOUND is empty. Every other failure, and NOT_FOUND
 *       anywhere else, throws a {@link io.quantbot.storage.client.StorageException} subclass
 *       (unchecked) carrying the status code, the daemon's reason, metadata, field violations and
 *       retry delay.</li>
 *   <li>Listings are {@link java.util.stream.Stream}s that fetch pages lazily.</li>
 *   <li>Every call has a deadline. Only idempotent calls are retried, on UNAVAILABLE, or on
 *       RESOURCE_EXHAUSTED that carries RetryInfo, within the call's deadline.</li>
 *   <li>No method returns or accepts {@code null}.</li>
 * </ul>
 */
package io.quantbot.storage.client;
