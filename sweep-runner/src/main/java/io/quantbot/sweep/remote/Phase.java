package io.quantbot.sweep.remote;

/** The steps of a remote sweep whose time is measured ({@link RemoteSweepResult#phases()}). */
public enum Phase {
    /** Fetching and simulating one interval's calls (wall time, per interval, summed). */
    CANDLES_AND_SIMULATION("candles+simulation"),
    /** BatchGetCandles calls (summed over the simulation threads). */
    CANDLE_FETCH("candle fetch"),
    /** CreateRun. */
    CREATE("CreateRun"),
    /** AppendRunRows: building the chunks and streaming them until the daemon committed them. */
    ROWS("AppendRunRows"),
    /** FinishRun with DEFER. */
    FINISH("FinishRun"),
    /** The final FinishRun, which seals the sweep's runs into one artifact. */
    FINISH_AND_SEAL("FinishRun+seal"),
    /** The StatePort checkpoint. */
    CHECKPOINT("checkpoint");

    private final String label;

    Phase(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
