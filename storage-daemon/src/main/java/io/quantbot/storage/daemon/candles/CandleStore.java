package io.quantbot.storage.daemon.candles;

import io.quantbot.storage.daemon.artifact.ArtifactRecord;

/** Reads one series out of an immutable ohlcv_slice artifact. */
public interface CandleStore {
    CandleSeries load(ArtifactRecord artifact, String token, String chain, String interval);
}
