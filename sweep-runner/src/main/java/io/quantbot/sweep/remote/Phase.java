package io.quantbot.sweep.remote;

/** The steps of a remote sweep whose time is measured ({@link RemoteSweepResult#phases()}). */
public enum Phase {
    /** Fetching and simulating one interval's calls (wall time, per interval, summed). */
    CANDLES_AND_SIMULATION("candles+simulation"),
    /** BatchGetCandles calls (summed over the simulation threads). */
    CANDLE_FETCH("candle fetch"),
    /** Creating the runs: BatchCreateRuns of each wave (the label is kept from the per-run CreateRun, to compare runs). */
    CREATE("CreateRun"),
    /** AppendRunRows: building the chunks and streaming them until the daemon committed them. */
    ROWS("AppendRunRows"),
    /** Finishing the runs with DEFER: BatchFinishRuns of each wave but its last run. */
    FINISH("FinishRun"),
    /** Each wave's last finish (BatchFinishRuns of one run with SWEEP), which seals the sweep's finished runs into one artifact. */
    FINISH_AND_SEAL("FinishRun+seal"),
    /** The StatePort checkpoints: one BatchSet per finish call. */
    CHECKPOINT("checkpoint");

    private final String label;

    Phase(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
