package io.quantbot.sweep.simulation;

import io.quantbot.sweep.spec.Scenario;

/** Receives each backtest of a {@link SweepSimulator} pass; the outcome object is reused after the call returns. */
@FunctionalInterface
public interface OutcomeSink {
    void accept(Scenario scenario, BacktestOutcome outcome);
}
