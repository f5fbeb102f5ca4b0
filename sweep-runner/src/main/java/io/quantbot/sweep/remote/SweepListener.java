package io.quantbot.sweep.remote;

/** Hears about a {@link RemoteSweep} as it goes; called from its worker threads. */
public interface SweepListener {
    /** A scenario's run finished (succeeded or failed). */
    void scenarioFinished(ScenarioOutcome outcome);

    SweepListener NONE = outcome -> {};
}
