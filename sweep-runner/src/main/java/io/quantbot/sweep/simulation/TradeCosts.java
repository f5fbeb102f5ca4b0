package io.quantbot.sweep.simulation;

/**
 * Trading assumptions: taker fee and slippage, each in basis points of the notional of both legs
 * (entry notional, and exit notional = notional × (1 + gross return)).
 */
public record TradeCosts(double takerFeeBps, double slippageBps, double notionalUsd) {
    public TradeCosts {
        if (!(takerFeeBps >= 0) || !(slippageBps >= 0) || !(notionalUsd > 0)) {
            throw new IllegalArgumentException("fees and slippage must be >= 0 and notional > 0");
        }
    }
}
